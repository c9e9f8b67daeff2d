//! JSON request bodies: an object (else a 400), read strictly, so that a
//! field of the wrong shape is a 422 naming it by its path (`note.body`,
//! `issues[2]`).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::Value;

use crate::error::AppError;
use crate::web::respond::ApiError;

/// A JSON request body: it must be an object (anything else is a 400), and
/// each field of the wrong shape is a 422 naming it (`note.body`,
/// `issues[2]`). Every JSON body of the API is read through this, so that
/// no handler can take an array or a string for an object.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ApiJson<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size, content type and syntax are checked by the scope's
        // JsonConfig (413 and 400 through `json_error`).
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            if !value.is_object() {
                let what = match value {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    Value::Array(_) => "an array",
                    Value::Object(_) => "an object",
                };
                return Err(ApiError(AppError::Malformed(format!(
                    "the body must be a JSON object, not {what}"
                )))
                .into());
            }
            serde_path_to_error::deserialize(Strict(value))
                .map(ApiJson)
                .map_err(|e| ApiError(shape_error(&e)).into())
        })
    }
}

/// A JSON value to deserialize from that refuses to read a struct from
/// anything but an object, at any depth (serde would read one from an
/// array, `[null, null]`, field by field).
struct Strict(Value);

/// What a value is, for a type error.
fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(StrictSeq(items.into_iter())),
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.into_iter(),
                value: None,
            }),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.into_iter(),
                value: None,
            }),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Strict(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// The items of an array, each read strictly.
struct StrictSeq(std::vec::IntoIter<Value>);

impl<'de> de::SeqAccess<'de> for StrictSeq {
    type Error = serde_json::Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The members of an object, each value read strictly.
struct StrictMap {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for StrictMap {
    type Error = serde_json::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(de::IntoDeserializer::<serde_json::Error>::into_deserializer(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(Strict(self.value.take().unwrap_or(Value::Null)))
    }
}

/// A 422 for a body of the wrong shape, naming the field by its path.
fn shape_error(error: &serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let message = error.inner().to_string();
    let path = error.path().to_string();
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match named {
        Some(name) if path == "." || path.is_empty() => name.to_owned(),
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path,
        Some(name) => format!("{path}.{name}"),
        None if path == "." || path.is_empty() => "body".to_owned(),
        None => path,
    };
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    AppError::invalid(field, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    #[test]
    fn a_body_of_the_wrong_shape_names_the_field_by_its_path() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            body: String,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            title: String,
            note: Inner,
            #[serde(default)]
            issues: Vec<String>,
        }
        let field = |v: Value| {
            let err = serde_path_to_error::deserialize::<_, Outer>(Strict(v)).unwrap_err();
            shape_error(&err).field().unwrap().to_owned()
        };
        assert_eq!(field(json!({"note": {"body": "x"}})), "title");
        assert_eq!(field(json!({"title": "t", "note": {}})), "note.body");
        assert_eq!(
            field(json!({"title": "t", "note": {"body": 5}})),
            "note.body"
        );
        assert_eq!(
            field(json!({"title": "t", "note": {"body": "x"}, "colour": 1})),
            "colour"
        );
        assert_eq!(
            field(json!({"title": "t", "note": {"body": "x", "x": 1}})),
            "note.x"
        );
        assert_eq!(
            field(json!({"title": "t", "note": {"body": "x"}, "issues": ["a", 2]})),
            "issues[1]"
        );
        // serde alone reads a struct from an array; here a struct is an object.
        assert_eq!(field(json!({"title": "t", "note": ["x"]})), "note");
        assert_eq!(field(json!({"title": "t", "note": "x"})), "note");
    }
}
