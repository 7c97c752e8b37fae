//! `hotline model`: the suggestion model (issue 18). `train` learns from
//! the stored orders and keeps the new version in the data directory, where
//! a running server picks it up within 30 seconds. `evaluate` trains on the
//! earlier part of a labelled set and scores the model beside the naive
//! Bayes baseline on the later part; it needs no database.

use crate::config::Config;
use crate::runtime;
use clap::{Args, Subcommand};
use hotline_suggest::{Featurizer, TrainOptions};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Trains the category and unit models on the stored orders and keeps
    /// the new version in the data directory (`models/`); a running server
    /// serves it within 30 seconds.
    Train,
    /// Scores the model and the baseline on a time-ordered split.
    Evaluate(EvaluateArgs),
}

impl ModelCommand {
    pub fn needs_database(&self) -> bool {
        match self {
            Self::Train => true,
            Self::Evaluate(args) => args.from_db,
        }
    }
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// Labelled messages (`id,subject,time,detail,category`); default: the
    /// 330 shipped ones (data/messages/train.csv).
    #[arg(long, conflicts_with = "from_db")]
    messages: Option<PathBuf>,
    /// The stored orders instead, as the server trains on them: the leaf
    /// category (every level above it scored too) and the lead unit.
    #[arg(long)]
    from_db: bool,
    /// Share of the latest examples held out for testing.
    #[arg(long, default_value_t = 0.2)]
    test_share: f64,
    /// Hash buckets: 2^bits (default 18; from the database, as the server
    /// sizes them for the number of categories).
    #[arg(long)]
    bits: Option<u8>,
    /// Passes of training (default 30; from the database, as the server
    /// chooses for the number of orders).
    #[arg(long)]
    epochs: Option<u32>,
    /// Seed of the training order (the same seed gives the same figures).
    #[arg(long, default_value_t = 12345)]
    seed: u64,
}

pub fn run(command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::Evaluate(args) => evaluate(args),
        ModelCommand::Train => unreachable!("needs the database"),
    }
}

pub async fn run_with_database(config: Config, command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::Train => train(config).await,
        ModelCommand::Evaluate(args) => evaluate_stored(config, args).await,
    }
}

/// Scores the category model (per level) and the unit model on the stored
/// orders, newest 200,000, the latest share held out.
async fn evaluate_stored(config: Config, args: EvaluateArgs) -> anyhow::Result<()> {
    use hotline_app::suggestions::{TRAINING_LIMIT, bits_for, epochs_for};
    use hotline_suggest::dataset::LEVEL_SEPARATOR;
    check(&args)?;
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let orders = app.store.training_orders(TRAINING_LIMIT).await?;
    let org = app.directory.snapshot();
    let example = |o: &hotline_app::suggestions::TrainingOrder, label: String| hotline_suggest::Example {
        id: format!("{:012}", o.id.0),
        text: format!("{}\n{}", o.subject, o.description),
        label,
        at: o.created_at.naive_utc(),
        tags: o.town.iter().cloned().collect(),
    };
    let by_category: Vec<_> = orders.iter().map(|o| example(o, org.category_path(o.category).names.join(LEVEL_SEPARATOR))).collect();
    let by_unit: Vec<_> = orders.iter().filter_map(|o| o.lead_unit.map(|u| example(o, org.unit_name(u)))).collect();
    for (what, examples) in [("Leaf categories", by_category), ("Lead units", by_unit)] {
        let classes = examples.iter().map(|e| e.label.as_str()).collect::<std::collections::BTreeSet<_>>().len();
        let bits = args.bits.unwrap_or_else(|| bits_for(classes));
        let epochs = args.epochs.unwrap_or_else(|| epochs_for(examples.len()));
        let held_out = (examples.len() as f64 * args.test_share).round() as usize;
        if held_out < 5 || examples.len() - held_out < 10 {
            anyhow::bail!("{what}: {} stored orders are too few to train on and test (at least 10 to train, 5 to test)", examples.len());
        }
        let options = TrainOptions { epochs, seed: args.seed, ..TrainOptions::default() };
        let started = std::time::Instant::now();
        let evaluation = hotline_suggest::evaluate(&examples, Featurizer { bits }, options, args.test_share);
        println!("## {what}: {} stored orders, {classes} classes, 2^{bits} buckets, {epochs} epochs\n", examples.len());
        print!("{}", evaluation.report());
        println!("\n(trained and scored in {:.1} s)\n", started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn check(args: &EvaluateArgs) -> anyhow::Result<()> {
    if !(args.test_share > 0.0 && args.test_share < 1.0) {
        anyhow::bail!("--test-share: must be between 0 and 1 (0.2 holds out the latest fifth)");
    }
    if args.bits.is_some_and(|b| !(8..=22).contains(&b)) {
        anyhow::bail!("--bits: must be between 8 and 22 (2^bits hash buckets)");
    }
    if args.epochs == Some(0) {
        anyhow::bail!("--epochs: must be at least 1");
    }
    Ok(())
}

async fn train(config: Config) -> anyhow::Result<()> {
    let app = runtime::open(&config, runtime::Index::Detached).await?;
    let started = std::time::Instant::now();
    let examples = app.suggestions.retrain().await?;
    if examples == 0 {
        anyhow::bail!(
            "too few orders to learn from: at least {} dispatched or directly answered orders are needed",
            hotline_app::suggestions::MIN_EXAMPLES
        );
    }
    let model = app.suggestions.model().expect("just trained");
    let kept = match crate::runtime::shared_database(&config)? {
        true => "the database (every node serves it)".to_owned(),
        false => config.models_dir().display().to_string(),
    };
    println!("trained on {examples} orders in {:.1} s: version {} kept in {kept}", started.elapsed().as_secs_f64(), model.version());
    Ok(())
}

fn evaluate(args: EvaluateArgs) -> anyhow::Result<()> {
    check(&args)?;
    let text = match &args.messages {
        Some(path) => std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => hotline_reference_data::MESSAGES.to_owned(),
    };
    let source = args.messages.as_ref().map_or_else(|| "data/messages/train.csv".to_owned(), |p| p.display().to_string());
    let examples = hotline_suggest::dataset::messages(&text).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    let held_out = (examples.len() as f64 * args.test_share).round() as usize;
    if held_out < 5 || examples.len() - held_out < 10 {
        anyhow::bail!("{source}: {} examples are too few to train on and test (at least 10 to train, 5 to test)", examples.len());
    }
    let options = TrainOptions { epochs: args.epochs.unwrap_or(30), seed: args.seed, ..TrainOptions::default() };
    let started = std::time::Instant::now();
    let evaluation = hotline_suggest::evaluate(&examples, Featurizer { bits: args.bits.unwrap_or(18) }, options, args.test_share);
    println!("{source}: {} labelled examples, {} classes\n", examples.len(), evaluation.labels.len());
    print!("{}", evaluation.report());
    println!("\n(trained and scored in {:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}
