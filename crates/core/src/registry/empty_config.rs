//! Whether a configuration is empty, found without building it.
//!
//! Most backends are made with no configuration at all (`()`, `{}`, a typed config with no
//! fields set); [`is_empty`] tells so by serializing into a serializer that stops at the first
//! key, instead of building a JSON value only to find nothing in it.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Whether `config` serializes as nothing: unit, `None`, or a map or struct without entries.
pub(crate) fn is_empty(config: &impl Serialize) -> bool {
    config.serialize(Probe).is_ok()
}

/// Something was there.
#[derive(Debug)]
struct NotEmpty;

impl fmt::Display for NotEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not empty")
    }
}

impl std::error::Error for NotEmpty {}

impl ser::Error for NotEmpty {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotEmpty
    }
}

/// Succeeds for empty values and fails at the first sign of content.
struct Probe;

/// A map or struct seen so far without an entry.
struct NoEntries;

macro_rules! not_empty {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), NotEmpty> { Err(NotEmpty) })*
    };
}

impl ser::Serializer for Probe {
    type Ok = ();
    type Error = NotEmpty;
    type SerializeSeq = Impossible<(), NotEmpty>;
    type SerializeTuple = Impossible<(), NotEmpty>;
    type SerializeTupleStruct = Impossible<(), NotEmpty>;
    type SerializeTupleVariant = Impossible<(), NotEmpty>;
    type SerializeMap = NoEntries;
    type SerializeStruct = NoEntries;
    type SerializeStructVariant = Impossible<(), NotEmpty>;

    not_empty! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_none(self) -> Result<(), NotEmpty> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), NotEmpty> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), NotEmpty> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotEmpty> {
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotEmpty> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotEmpty> {
        Err(NotEmpty)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotEmpty> {
        Err(NotEmpty)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotEmpty> {
        Err(NotEmpty)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotEmpty> {
        Err(NotEmpty)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotEmpty> {
        Err(NotEmpty)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<NoEntries, NotEmpty> {
        match len {
            Some(0) | None => Ok(NoEntries),
            Some(_) => Err(NotEmpty),
        }
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<NoEntries, NotEmpty> {
        // The length counts fields that `skip_serializing_if` may still skip: look at them.
        Ok(NoEntries)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotEmpty> {
        Err(NotEmpty)
    }
}

impl ser::SerializeMap for NoEntries {
    type Ok = ();
    type Error = NotEmpty;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), NotEmpty> {
        Err(NotEmpty)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), NotEmpty> {
        Err(NotEmpty)
    }

    fn end(self) -> Result<(), NotEmpty> {
        Ok(())
    }
}

impl ser::SerializeStruct for NoEntries {
    type Ok = ();
    type Error = NotEmpty;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotEmpty> {
        Err(NotEmpty)
    }

    fn end(self) -> Result<(), NotEmpty> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Nothing {}

    #[derive(Serialize)]
    struct Optional {
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    }

    #[derive(Serialize)]
    struct Plain {
        workers: u32,
    }

    #[test]
    fn nothing_is_empty() {
        assert!(is_empty(&()));
        assert!(is_empty(&None::<u32>));
        assert!(is_empty(&json!(null)));
        assert!(is_empty(&json!({})));
        assert!(is_empty(&Nothing {}));
        assert!(is_empty(&Optional { url: None }));
        assert!(is_empty(&&json!({})));
        assert!(is_empty(&std::collections::BTreeMap::<String, u32>::new()));
    }

    #[test]
    fn anything_else_is_not() {
        assert!(!is_empty(&json!({"max_workers": 2})));
        assert!(!is_empty(&json!([])));
        assert!(!is_empty(&json!(0)));
        assert!(!is_empty(&json!("")));
        assert!(!is_empty(&Optional {
            url: Some("nats://x".into())
        }));
        assert!(!is_empty(&Plain { workers: 0 }));
    }
}
