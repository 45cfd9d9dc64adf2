//! Component flags (`extraArgs`, `kubeletExtraArgs`) in both of kubeadm's spellings.
//!
//! v1beta3 writes them as a map (`authorization-mode: Node,RBAC`); v1beta4 as a
//! list of `{name, value}` so that a flag may repeat. Both read into one ordered
//! list; `style` remembers which spelling was used so that `version.rs` can flag
//! the spelling that the document's version does not have, and printing can
//! write the spelling the target version expects.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arg {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArgsStyle {
    /// v1beta3: a YAML map; names unique.
    #[default]
    Map,
    /// v1beta4: a YAML list of `{name, value}`.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtraArgs {
    pub args: Vec<Arg>,
    pub style: ArgsStyle,
}

impl ExtraArgs {
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// The last value given for `name` (later entries win, as in kubeadm's merge).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args.iter().rev().find(|a| a.name == name).map(|a| a.value.as_str())
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.args.retain(|a| a.name != name);
        self.args.push(Arg { name: name.into(), value: value.into() });
    }
}

impl Serialize for ExtraArgs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.style {
            ArgsStyle::Map => {
                let mut map = s.serialize_map(Some(self.args.len()))?;
                for a in &self.args {
                    map.serialize_entry(&a.name, &a.value)?;
                }
                map.end()
            }
            ArgsStyle::List => {
                let mut seq = s.serialize_seq(Some(self.args.len()))?;
                for a in &self.args {
                    seq.serialize_element(a)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ExtraArgs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ArgsVisitor)
    }
}

struct ArgsVisitor;

impl<'de> Visitor<'de> for ArgsVisitor {
    type Value = ExtraArgs;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of flag: value (v1beta3) or a list of {name, value} (v1beta4)")
    }

    fn visit_unit<E: de::Error>(self) -> Result<ExtraArgs, E> {
        Ok(ExtraArgs::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtraArgs, A::Error> {
        let mut args = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, ScalarString>()? {
            args.push(Arg { name, value: value.0 });
        }
        Ok(ExtraArgs { args, style: ArgsStyle::Map })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExtraArgs, A::Error> {
        let mut args = Vec::new();
        while let Some(arg) = seq.next_element::<Arg>()? {
            args.push(arg);
        }
        Ok(ExtraArgs { args, style: ArgsStyle::List })
    }
}

/// Flag values are strings in kubeadm's types, but YAML users write `v: 2` or
/// `profiling: false`; accept scalars the way Go's YAML-to-JSON step would.
struct ScalarString(String);

impl<'de> Deserialize<'de> for ScalarString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_yaml::Value::deserialize(d)? {
            serde_yaml::Value::String(s) => Ok(ScalarString(s)),
            serde_yaml::Value::Bool(b) => Ok(ScalarString(b.to_string())),
            serde_yaml::Value::Number(n) => Ok(ScalarString(n.to_string())),
            other => Err(de::Error::custom(format!(
                "expected a string value for a flag, found {}",
                super::yaml_kind(&other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings_in_order() {
        let map: ExtraArgs = serde_yaml::from_str("b: 1\na: x\n").unwrap();
        assert_eq!(map.style, ArgsStyle::Map);
        assert_eq!(map.get("b"), Some("1"));
        let list: ExtraArgs =
            serde_yaml::from_str("- {name: a, value: x}\n- {name: a, value: y}\n").unwrap();
        assert_eq!(list.style, ArgsStyle::List);
        assert_eq!(list.args.len(), 2);
        assert_eq!(list.get("a"), Some("y"));
    }

    #[test]
    fn prints_the_spelling_it_read() {
        let list: ExtraArgs = serde_yaml::from_str("- {name: a, value: x}\n").unwrap();
        assert_eq!(serde_yaml::to_string(&list).unwrap(), "- name: a\n  value: x\n");
        let mut map = list.clone();
        map.style = ArgsStyle::Map;
        assert_eq!(serde_yaml::to_string(&map).unwrap(), "a: x\n");
    }

    #[test]
    fn rejects_nested_values() {
        let err = serde_yaml::from_str::<ExtraArgs>("a: [1]\n").unwrap_err();
        assert!(err.to_string().contains("expected a string value"), "{err}");
    }
}
