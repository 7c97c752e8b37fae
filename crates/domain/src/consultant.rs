//! Consultants' records (话务员档案): training, certification and mentors,
//! and the rule that turns them into the skills the call distribution uses.
//!
//! A consultant takes general calls once they passed the basic training
//! (岗前培训); a professional skill (社保 12333, 公积金 …) only with a valid
//! certification for it, which in turn needs the professional training for
//! that skill. New consultants are paired with a mentor (老带新).

use crate::UserId;
use crate::text::CourseName;
use crate::validation::FieldError;
use crate::vocabulary::vocabulary;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The skill of the general seats (综合坐席).
pub const GENERAL_SKILL: &str = "general";

/// The level of the general skill after the basic training (levels run 1–10).
pub const GENERAL_LEVEL: u8 = 5;

vocabulary!(
    /// What a training prepared for.
    TrainingKind, "training kind" {
        /// 岗前培训: the centre's basic training, needed to take any call.
        Basic = "basic", "岗前培训";
        /// 专业培训: a department's training for its professional seats.
        Professional = "professional", "专业培训";
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub id: i64,
    pub kind: TrainingKind,
    /// The professional skill trained for; `None` for the basic training.
    pub skill: Option<String>,
    pub course: CourseName,
    pub completed_on: NaiveDate,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    pub id: i64,
    pub skill: String,
    /// 1–10: 5 and above take the skill's calls at once; lower levels only
    /// once a call waited past the queue's spill delay.
    pub level: u8,
    pub certified_on: NaiveDate,
    /// The day it ends (exclusive); `None`: it does not expire.
    pub expires_on: Option<NaiveDate>,
}

impl Certification {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.certified_on <= day && self.expires_on.is_none_or(|end| day < end)
    }
}

/// A consultant's record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsultantProfile {
    pub user: Option<UserId>,
    /// The experienced consultant a new one learns from (师傅).
    pub mentor: Option<UserId>,
    pub trainings: Vec<Training>,
    pub certifications: Vec<Certification>,
}

impl ConsultantProfile {
    pub fn passed_basic(&self) -> bool {
        self.trainings.iter().any(|t| t.kind == TrainingKind::Basic && t.passed)
    }

    /// The skills and levels the consultant may take calls for on `day`.
    pub fn skills(&self, day: NaiveDate) -> BTreeMap<String, u8> {
        let mut skills = BTreeMap::new();
        if !self.passed_basic() {
            return skills;
        }
        skills.insert(GENERAL_SKILL.to_owned(), GENERAL_LEVEL);
        for c in self.certifications.iter().filter(|c| c.valid_on(day)) {
            let level = skills.entry(c.skill.clone()).or_insert(0);
            *level = (*level).max(c.level);
        }
        skills
    }

    /// Checks a training before it is recorded.
    pub fn check_training(training: &Training) -> Result<(), FieldError> {
        match (training.kind, &training.skill) {
            (TrainingKind::Basic, Some(_)) => Err(FieldError::new("skill", "the basic training is not for one skill; leave it empty")),
            (TrainingKind::Professional, None) => Err(FieldError::new("skill", "name the skill a professional training is for")),
            _ => Ok(()),
        }
    }

    /// Checks a certification before it is granted: the consultant passed
    /// the basic training and the professional training for the skill.
    pub fn check_certification(&self, c: &Certification) -> Result<(), FieldError> {
        if !(1..=10).contains(&c.level) {
            return Err(FieldError::new("level", "runs from 1 to 10"));
        }
        if c.skill == GENERAL_SKILL {
            return Err(FieldError::new("skill", "the general skill comes with the basic training; certify a professional skill"));
        }
        if c.expires_on.is_some_and(|end| end <= c.certified_on) {
            return Err(FieldError::new("expires_on", "must be after certified_on"));
        }
        if !self.passed_basic() {
            return Err(FieldError::new("skill", "the consultant has not passed the basic training (岗前培训) yet"));
        }
        let trained = self.trainings.iter().any(|t| {
            t.kind == TrainingKind::Professional
                && t.passed
                && t.skill.as_deref() == Some(c.skill.as_str())
                && t.completed_on <= c.certified_on
        });
        if !trained {
            return Err(FieldError::new(
                "skill",
                format!("the consultant has no passed professional training for {} on or before {}", c.skill, c.certified_on),
            ));
        }
        Ok(())
    }

    /// Checks that `mentor` (with their own record) may mentor this consultant.
    pub fn check_mentor(&self, mentor: &ConsultantProfile) -> Result<(), FieldError> {
        if mentor.user.is_some() && mentor.user == self.user {
            return Err(FieldError::new("mentor", "a consultant cannot mentor themselves"));
        }
        if !mentor.passed_basic() {
            return Err(FieldError::new("mentor", "the mentor has not passed the basic training"));
        }
        if mentor.mentor.is_some() {
            return Err(FieldError::new("mentor", "the mentor is still learning from a mentor themselves"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn training(kind: TrainingKind, skill: Option<&str>, on: &str, passed: bool) -> Training {
        Training {
            id: 1, kind, skill: skill.map(str::to_owned), course: CourseName::parse("课程").unwrap(), completed_on: day(on), passed
        }
    }

    fn cert(skill: &str, level: u8, on: &str, until: Option<&str>) -> Certification {
        Certification { id: 2, skill: skill.into(), level, certified_on: day(on), expires_on: until.map(day) }
    }

    #[test]
    fn skills_need_basic_training_and_a_valid_certification() {
        let mut p = ConsultantProfile::default();
        assert!(p.skills(day("2026-06-01")).is_empty(), "untrained: no calls at all");
        p.trainings.push(training(TrainingKind::Basic, None, "2026-01-10", false));
        assert!(p.skills(day("2026-06-01")).is_empty(), "a failed basic training gives nothing");
        p.trainings.push(training(TrainingKind::Basic, None, "2026-02-10", true));
        assert_eq!(p.skills(day("2026-06-01")), BTreeMap::from([(GENERAL_SKILL.to_owned(), GENERAL_LEVEL)]));

        p.trainings.push(training(TrainingKind::Professional, Some("12333"), "2026-03-01", true));
        let c = cert("12333", 7, "2026-03-05", Some("2027-03-05"));
        p.check_certification(&c).unwrap();
        p.certifications.push(c);
        assert_eq!(p.skills(day("2026-03-04")).get("12333"), None, "not before it is granted");
        assert_eq!(p.skills(day("2026-06-01")).get("12333"), Some(&7));
        assert_eq!(p.skills(day("2027-03-05")).get("12333"), None, "expired on its end day");
    }

    #[test]
    fn certification_needs_the_professional_training_first() {
        let mut p = ConsultantProfile::default();
        let c = cert("12333", 6, "2026-03-05", None);
        assert!(p.check_certification(&c).unwrap_err().message.contains("basic training"));
        p.trainings.push(training(TrainingKind::Basic, None, "2026-02-10", true));
        assert!(p.check_certification(&c).unwrap_err().message.contains("professional training for 12333"));
        p.trainings.push(training(TrainingKind::Professional, Some("12333"), "2026-03-06", true));
        assert!(p.check_certification(&c).is_err(), "trained only after the certification date");
        p.trainings.push(training(TrainingKind::Professional, Some("12333"), "2026-03-01", true));
        p.check_certification(&c).unwrap();
        assert_eq!(p.check_certification(&cert("12333", 11, "2026-03-05", None)).unwrap_err().field, "level");
        assert_eq!(p.check_certification(&cert("12333", 5, "2026-03-05", Some("2026-03-05"))).unwrap_err().field, "expires_on");
        assert_eq!(p.check_certification(&cert(GENERAL_SKILL, 5, "2026-03-05", None)).unwrap_err().field, "skill");
    }

    #[test]
    fn trainings_name_a_skill_only_when_professional() {
        assert!(ConsultantProfile::check_training(&training(TrainingKind::Basic, Some("12333"), "2026-01-01", true)).is_err());
        assert!(ConsultantProfile::check_training(&training(TrainingKind::Professional, None, "2026-01-01", true)).is_err());
        assert!(ConsultantProfile::check_training(&training(TrainingKind::Professional, Some("12333"), "2026-01-01", true)).is_ok());
    }

    #[test]
    fn mentors_are_trained_and_not_in_probation_themselves() {
        let trained = ConsultantProfile {
            user: Some(UserId(1)),
            trainings: vec![training(TrainingKind::Basic, None, "2025-01-01", true)],
            ..Default::default()
        };
        let new = ConsultantProfile { user: Some(UserId(2)), ..Default::default() };
        new.check_mentor(&trained).unwrap();
        assert!(trained.check_mentor(&trained).unwrap_err().message.contains("themselves"));
        assert!(trained.check_mentor(&new).unwrap_err().message.contains("basic training"));
        let apprentice = ConsultantProfile { mentor: Some(UserId(1)), ..trained.clone() };
        assert!(
            new.check_mentor(&ConsultantProfile { user: Some(UserId(3)), ..apprentice }).unwrap_err().message.contains("still learning")
        );
    }
}
