//! Stage two of every expression: replace `#name` and `:value` placeholders,
//! recording which were used so unused ones can be rejected; plus resolved operands
//! and how they evaluate against an item.

use crate::parser::{invalid, OperandAst};
use crate::path::{Path, UnresolvedPath};
use crate::ExpressionKind;
use cairn_model::{ApiError, AttributeValue, Item, Number};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// The request's placeholder maps and which entries the expressions used.
pub struct Placeholders<'a> {
    pub names: Option<&'a BTreeMap<String, String>>,
    pub values: Option<&'a BTreeMap<String, AttributeValue>>,
    pub used_names: BTreeSet<String>,
    pub used_values: BTreeSet<String>,
}

impl<'a> Placeholders<'a> {
    pub fn new(
        names: Option<&'a BTreeMap<String, String>>,
        values: Option<&'a BTreeMap<String, AttributeValue>>,
    ) -> Self {
        Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    pub fn path(&mut self, kind: ExpressionKind, path: &UnresolvedPath) -> Result<Path, ApiError> {
        path.resolve(self.names, &mut self.used_names).map_err(|undefined| {
            invalid(
                kind,
                format!(
                    "An expression attribute name used in the document path is not defined; attribute name: {}",
                    undefined.0
                ),
            )
        })
    }

    pub fn value(&mut self, kind: ExpressionKind, name: &str) -> Result<AttributeValue, ApiError> {
        let value = self.values.and_then(|v| v.get(name)).ok_or_else(|| {
            invalid(
                kind,
                format!("An expression attribute value used in expression is not defined; attribute value: {name}"),
            )
        })?;
        self.used_values.insert(name.to_string());
        Ok(value.clone())
    }

    /// DynamoDB rejects placeholders that no expression of the request used.
    pub fn reject_unused(&self) -> Result<(), ApiError> {
        check_expression_attribute_names(self.names)?;
        let unused = |all: Option<Vec<&String>>, used: &BTreeSet<String>| -> Vec<String> {
            all.unwrap_or_default()
                .into_iter()
                .filter(|k| !used.contains(*k))
                .cloned()
                .collect()
        };
        let names = unused(self.names.map(|m| m.keys().collect()), &self.used_names);
        if !names.is_empty() {
            return Err(ApiError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.map(|m| m.keys().collect()), &self.used_values);
        if !values.is_empty() {
            return Err(ApiError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }
}

/// A resolved operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Box<Operand>),
    IfNotExists(Path, Box<Operand>),
    ListAppend(Box<Operand>, Box<Operand>),
}

/// Functions that may appear where an operand is expected, per expression kind.
const OPERAND_FUNCTIONS_IN_CONDITIONS: &[&str] = &["size"];
const OPERAND_FUNCTIONS_IN_UPDATES: &[&str] = &["if_not_exists", "list_append"];
pub(crate) const CONDITION_FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
];

pub(crate) fn operand_count_error(kind: ExpressionKind, name: &str, count: usize) -> ApiError {
    invalid(
        kind,
        format!("Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {count}"),
    )
}

impl Operand {
    pub(crate) fn resolve(ast: &OperandAst, kind: ExpressionKind, p: &mut Placeholders) -> Result<Operand, ApiError> {
        match ast {
            OperandAst::Path(path) => Ok(Operand::Path(p.path(kind, path)?)),
            OperandAst::Value(name) => Ok(Operand::Value(p.value(kind, name)?)),
            OperandAst::Function { name, args } => {
                let allowed = if kind == ExpressionKind::Update {
                    OPERAND_FUNCTIONS_IN_UPDATES
                } else {
                    OPERAND_FUNCTIONS_IN_CONDITIONS
                };
                let known = OPERAND_FUNCTIONS_IN_CONDITIONS.contains(&name.as_str())
                    || OPERAND_FUNCTIONS_IN_UPDATES.contains(&name.as_str())
                    || CONDITION_FUNCTIONS.contains(&name.as_str());
                if !known {
                    return Err(invalid(kind, format!("Invalid function name; function: {name}")));
                }
                if !allowed.contains(&name.as_str()) {
                    let place = if kind == ExpressionKind::Update {
                        "an update expression"
                    } else {
                        "this context"
                    };
                    return Err(invalid(
                        kind,
                        format!("The function is not allowed in {place}; function: {name}"),
                    ));
                }
                let expected = if name == "size" { 1 } else { 2 };
                if args.len() != expected {
                    return Err(operand_count_error(kind, name, args.len()));
                }
                let resolved = args
                    .iter()
                    .map(|a| Operand::resolve(a, kind, p))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut resolved = resolved.into_iter();
                let (first, second) = (resolved.next(), resolved.next());
                match (name.as_str(), first, second) {
                    ("size", Some(arg), None) => {
                        if !matches!(arg, Operand::Path(_)) {
                            return Err(invalid(
                                kind,
                                format!("Incorrect operand type for operator or function; operator or function: size, operand type: {}", operand_type(&arg)),
                            ));
                        }
                        Ok(Operand::Size(Box::new(arg)))
                    }
                    ("if_not_exists", Some(Operand::Path(path)), Some(fallback)) => {
                        Ok(Operand::IfNotExists(path, Box::new(fallback)))
                    }
                    ("if_not_exists", Some(_), Some(_)) => Err(invalid(
                        kind,
                        "Operator or function requires a document path; operator or function: if_not_exists",
                    )),
                    ("list_append", Some(a), Some(b)) => {
                        for operand in [&a, &b] {
                            if let Operand::Value(v) = operand {
                                if !matches!(v, AttributeValue::L(_)) {
                                    return Err(invalid(kind, format!("Incorrect operand type for operator or function; operator or function: list_append, operand type: {}", v.type_name())));
                                }
                            }
                        }
                        Ok(Operand::ListAppend(Box::new(a), Box::new(b)))
                    }
                    _ => Err(operand_count_error(kind, name, args.len())),
                }
            }
        }
    }

    /// Evaluates against an item: Ok(None) when a path is missing (or size() of a type
    /// that has no size); errors only from update functions on wrong types.
    pub fn eval<'a>(&'a self, item: &'a Item) -> Result<Option<Cow<'a, AttributeValue>>, ApiError> {
        Ok(match self {
            Operand::Path(path) => path.get(item).map(Cow::Borrowed),
            Operand::Value(v) => Some(Cow::Borrowed(v)),
            Operand::Size(inner) => match inner.eval(item)? {
                Some(v) => size_of(&v).map(|n| Cow::Owned(AttributeValue::N(n))),
                None => None,
            },
            Operand::IfNotExists(path, fallback) => match path.get(item) {
                Some(v) => Some(Cow::Borrowed(v)),
                None => fallback.eval(item)?,
            },
            Operand::ListAppend(a, b) => {
                let (a, b) = (a.eval(item)?, b.eval(item)?);
                match (a.as_deref(), b.as_deref()) {
                    (Some(AttributeValue::L(x)), Some(AttributeValue::L(y))) => {
                        Some(Cow::Owned(AttributeValue::L(x.iter().chain(y).cloned().collect())))
                    }
                    (None, _) | (_, None) => return Err(missing_attribute()),
                    _ => return Err(incorrect_data_type()),
                }
            }
        })
    }
}

pub(crate) fn operand_type(operand: &Operand) -> &'static str {
    match operand {
        Operand::Value(v) => v.type_name(),
        Operand::Size(_) => "N",
        _ => "PATH",
    }
}

pub(crate) fn missing_attribute() -> ApiError {
    ApiError::validation("The provided expression refers to an attribute that does not exist in the item")
}

pub(crate) fn incorrect_data_type() -> ApiError {
    ApiError::validation("An operand in the update expression has an incorrect data type")
}

/// size(): string length in bytes, binary length, element counts of sets, lists, maps.
fn size_of(v: &AttributeValue) -> Option<Number> {
    let n = match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(x) => x.len(),
        AttributeValue::Ns(x) => x.len(),
        AttributeValue::Bs(x) => x.len(),
        AttributeValue::L(x) => x.len(),
        AttributeValue::M(x) => x.len(),
        _ => return None,
    };
    Number::parse(&n.to_string()).ok()
}

/// The rules of every ExpressionAttributeNames entry, whether used or not: a key is
/// `#` followed by letters, digits or underscores, and a value is a valid attribute
/// name. Checked before unused entries are reported, as DynamoDB does.
pub fn check_expression_attribute_names(names: Option<&BTreeMap<String, String>>) -> Result<(), ApiError> {
    for (key, name) in names.into_iter().flatten() {
        let well_formed = key
            .strip_prefix('#')
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !well_formed {
            return Err(ApiError::validation(format!(
                "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{key}\""
            )));
        }
        if name.is_empty() {
            return Err(ApiError::validation(format!(
                "ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
            )));
        }
        cairn_model::item_limits::check_attribute_name(name)?;
    }
    Ok(())
}
