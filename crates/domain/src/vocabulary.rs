//! Closed vocabularies: enums with a wire name (English, snake_case) and a
//! Chinese label, parsed and serialised the same way everywhere.

/// Declares an enum with `ALL`, `as_str`, `label_zh`, `parse` and serde
/// through the wire name, so every vocabulary behaves the same everywhere.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $wire:literal, $zh:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire,)+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh,)+ }
            }

            /// By wire name or Chinese label, as legacy systems write them.
            pub fn from_word_or_label(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.label_zh() == s)
            }

            pub fn parse(s: &str) -> Result<Self, $crate::validation::FieldError> {
                match s {
                    $($wire => Ok(Self::$variant),)+
                    _ => Err($crate::validation::FieldError::coded("", "unknown_value", format!(
                        concat!("unknown ", $what, " {:?}; expected one of {}"),
                        s,
                        [$($wire),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let labels: Vec<String> = Self::ALL.iter().map(|v| format!("`{}` {}", v.as_str(), v.label_zh())).collect();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .description(Some(labels.join(", ")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use vocabulary;
