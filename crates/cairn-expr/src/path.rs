//! Document paths (`a.b[3].#c`): parsing from tokens, resolving `#name`
//! placeholders, and reading a value at a path.

use crate::lexer::{Token, TokenKind};
use crate::limits::MAX_PATH_DEPTH;
use cairn_model::{AttributeValue, Item};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One step of a resolved path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    Attribute(String),
    Index(usize),
}

/// A resolved document path; never empty, and always starts with an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<PathElement>);

/// A path as written: attribute steps may still be `#placeholders`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedPath(pub Vec<UnresolvedElement>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnresolvedElement {
    Name(String),
    Placeholder(String),
    Index(usize),
}

/// Why a path could not be parsed: the index of the offending token (or
/// `tokens.len()` for end of input), or a path deeper than DynamoDB allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathParseError {
    UnexpectedToken(usize),
    TooDeep,
    /// A list index past DynamoDB's largest, 4294967294 (the text as written).
    IndexOutOfRange(String),
}

/// The largest list index DynamoDB accepts in a document path.
const MAX_LIST_INDEX: u64 = 4_294_967_294;

/// Parses a path starting at `tokens[*pos]`, advancing `pos` past it.
pub fn parse_path(text: &str, tokens: &[Token], pos: &mut usize) -> Result<UnresolvedPath, PathParseError> {
    let mut elements = vec![parse_name(text, tokens, pos)?];
    loop {
        match tokens.get(*pos).map(|t| t.kind) {
            Some(TokenKind::Dot) => {
                *pos += 1;
                elements.push(parse_name(text, tokens, pos)?);
            }
            Some(TokenKind::LeftBracket) => {
                *pos += 1;
                let index = match tokens.get(*pos) {
                    Some(t) if t.kind == TokenKind::Integer => {
                        let digits = &text[t.start..t.end];
                        match digits.parse::<u64>() {
                            Ok(i) if i <= MAX_LIST_INDEX => {
                                usize::try_from(i).map_err(|_| PathParseError::IndexOutOfRange(digits.to_string()))?
                            }
                            _ => return Err(PathParseError::IndexOutOfRange(digits.to_string())),
                        }
                    }
                    _ => return Err(PathParseError::UnexpectedToken(*pos)),
                };
                *pos += 1;
                match tokens.get(*pos) {
                    Some(t) if t.kind == TokenKind::RightBracket => *pos += 1,
                    _ => return Err(PathParseError::UnexpectedToken(*pos)),
                }
                elements.push(UnresolvedElement::Index(index));
            }
            _ => break,
        }
        if elements.len() > MAX_PATH_DEPTH {
            return Err(PathParseError::TooDeep);
        }
    }
    Ok(UnresolvedPath(elements))
}

fn parse_name(text: &str, tokens: &[Token], pos: &mut usize) -> Result<UnresolvedElement, PathParseError> {
    let token = tokens.get(*pos).ok_or(PathParseError::UnexpectedToken(*pos))?;
    let word = &text[token.start..token.end];
    let element = match token.kind {
        TokenKind::Identifier if !word.starts_with(|c: char| c.is_ascii_digit()) => {
            UnresolvedElement::Name(word.to_string())
        }
        TokenKind::NamePlaceholder => UnresolvedElement::Placeholder(word.to_string()),
        _ => return Err(PathParseError::UnexpectedToken(*pos)),
    };
    *pos += 1;
    Ok(element)
}

/// A `#name` used but not defined in ExpressionAttributeNames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndefinedName(pub String);

impl UnresolvedPath {
    /// Replaces placeholders with their names, recording each placeholder used.
    pub fn resolve(
        &self,
        names: Option<&BTreeMap<String, String>>,
        used: &mut BTreeSet<String>,
    ) -> Result<Path, UndefinedName> {
        let elements = self
            .0
            .iter()
            .map(|e| match e {
                UnresolvedElement::Name(n) => Ok(PathElement::Attribute(n.clone())),
                UnresolvedElement::Index(i) => Ok(PathElement::Index(*i)),
                UnresolvedElement::Placeholder(p) => {
                    let name = names.and_then(|m| m.get(p)).ok_or_else(|| UndefinedName(p.clone()))?;
                    used.insert(p.clone());
                    Ok(PathElement::Attribute(name.clone()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Path(elements))
    }

    /// Bare (non-placeholder) attribute names, for the reserved-word check.
    pub fn bare_names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|e| match e {
            UnresolvedElement::Name(n) => Some(n.as_str()),
            _ => None,
        })
    }
}

impl Path {
    /// The value at this path in `item`, if every step exists with the right type.
    pub fn get<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let (first, rest) = self.0.split_first()?;
        let PathElement::Attribute(name) = first else {
            return None;
        };
        let mut value = item.get(name)?;
        for element in rest {
            value = match (element, value) {
                (PathElement::Attribute(n), AttributeValue::M(m)) => m.get(n)?,
                (PathElement::Index(i), AttributeValue::L(l)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

impl fmt::Display for Path {
    /// DynamoDB prints paths in messages as `[a, b, [0]]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| match e {
                PathElement::Attribute(n) => n.clone(),
                PathElement::Index(i) => format!("[{i}]"),
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}
