//! Whole numbers as the API reads them: in a JSON body as JSON Schema
//! counts integers (`2` and `2.0` alike), in a query string as digits, each
//! within its range; and the schemas that give the range.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::domain::handoff::Severity;
use crate::error::AppError;

/// An integer as JSON Schema counts them: `2` and `2.0` alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Int, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                // i64::MAX as f64 rounds up to 2^63, which does not fit.
                if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
                    Ok(Int(v as i64))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(IntVisitor)
    }
}

/// `value` if it lies in `min..=max`; else a 422 on `field`.
pub fn int_in(field: &str, value: Int, min: i64, max: i64) -> Result<i64, AppError> {
    if (min..=max).contains(&value.0) {
        Ok(value.0)
    } else {
        Err(AppError::invalid(
            field,
            format!(
                "{field} is a whole number from {min} to {max}, not {}",
                value.0
            ),
        ))
    }
}

/// A whole-number query parameter: digits (an integral decimal such as
/// `5.0` too, as generators write integers) in `min..=max`; else a 422 on
/// `field`. Only non-negative ranges are needed.
pub fn int_param(field: &str, text: &str, min: i64, max: i64) -> Result<i64, AppError> {
    let refuse = || {
        AppError::invalid(
            field,
            format!("{field} is a whole number from {min} to {max}, not {text:?}"),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.bytes().any(|b| b != b'0') {
        return Err(refuse());
    }
    whole
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(refuse)
}

/// The schema of an integer in `min..=max`.
pub fn int_schema(min: i64, max: i64, nullable: bool, description: &str) -> Object {
    let kind = if nullable {
        SchemaType::from_iter([Type::Integer, Type::Null])
    } else {
        SchemaType::new(Type::Integer)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
        .build()
}

/// The severities, most severe first: `(1, 4)`, from the domain's own list.
pub fn severity_range() -> (i64, i64) {
    let all = Severity::ALL;
    let get = |s: Option<&Severity>| s.map_or(0, |s| i64::from(s.get()));
    (get(all.first()), get(all.last()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_taken_as_json_schema_counts_them() {
        let read = |s: &str| serde_json::from_str::<Int>(s).map(|i| i.0).ok();
        assert_eq!(read("2"), Some(2));
        assert_eq!(read("2.0"), Some(2));
        assert_eq!(read("-7"), Some(-7));
        assert_eq!(read("2.5"), None);
        assert_eq!(read("\"2\""), None);
        assert_eq!(read("1e300"), None);
        assert_eq!(int_param("limit", "5", 1, 200).unwrap(), 5);
        assert_eq!(int_param("limit", "5.0", 1, 200).unwrap(), 5);
        for bad in ["", "0", "201", "+5", " 5", "5.5", "5.", "abc", "-1", "1e2"] {
            assert!(int_param("limit", bad, 1, 200).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_severity_range_is_the_domains() {
        let (min, max) = severity_range();
        assert_eq!((min, max), (1, 4));
        assert!(Severity::new(min).is_ok() && Severity::new(max).is_ok());
        assert!(Severity::new(min - 1).is_err() && Severity::new(max + 1).is_err());
    }
}
