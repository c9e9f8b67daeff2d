//! Values from a fixed set, each with one spelling: how a form, the API and
//! the database write them.

/// Declares an enum of values spelled as text: `ALL`, `as_str`, `parse`
/// (for input: trims, and the message lists the accepted spellings),
/// `exact` (for a stored value: that spelling and nothing else) and
/// `Display`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? } $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and API spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored or API spelling; the message lists the accepted values.
            pub fn parse(text: &str) -> Result<Self, String> {
                $crate::domain::text::check_line(concat!("the ", $what), text.trim())?;
                match text.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not a {}; use one of: {}",
                        $what,
                        [$($text),+].join(", ")
                    )),
                }
            }

            /// The value spelled exactly `text`, as it is stored.
            pub fn exact(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;
