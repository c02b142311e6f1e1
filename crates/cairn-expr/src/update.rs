//! UpdateExpression: SET (with `+`, `-`, `if_not_exists`, `list_append`), REMOVE,
//! ADD and DELETE. Every value is computed from the item as it was before the update;
//! then the changes are applied together.

use crate::lexer::TokenKind;
use crate::parser::{invalid, OperandAst, Parser};
use crate::path::{Path, PathElement, UnresolvedPath};
use crate::resolve::{incorrect_data_type, missing_attribute, Operand, Placeholders};
use crate::ExpressionKind;
use cairn_model::{ApiError, AttributeValue, Item};

const KIND: ExpressionKind = ExpressionKind::Update;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetValueAst {
    Operand(OperandAst),
    Plus(OperandAst, OperandAst),
    Minus(OperandAst, OperandAst),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionAst {
    Set(UnresolvedPath, SetValueAst),
    Remove(UnresolvedPath),
    Add(UnresolvedPath, OperandAst),
    Delete(UnresolvedPath, OperandAst),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateAst {
    pub actions: Vec<ActionAst>,
}

const CLAUSES: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];

pub fn parse_update(text: &str) -> Result<UpdateAst, ApiError> {
    let mut p = Parser::new(text, KIND)?;
    let mut seen: Vec<&str> = Vec::new();
    let mut actions = Vec::new();
    while !p.at_end() {
        let Some(clause) = CLAUSES.iter().find(|c| p.at_keyword(c)).copied() else {
            return Err(p.syntax_error());
        };
        if seen.contains(&clause) {
            return Err(p.invalid(format!(
                "The \"{clause}\" section can only be used once in an update expression;"
            )));
        }
        seen.push(clause);
        p.pos += 1;
        loop {
            actions.push(action(&mut p, clause)?);
            if p.peek() == Some(TokenKind::Comma) {
                p.pos += 1;
            } else {
                break;
            }
        }
    }
    Ok(UpdateAst { actions })
}

fn action(p: &mut Parser, clause: &str) -> Result<ActionAst, ApiError> {
    let path = p.path()?;
    Ok(match clause {
        "SET" => {
            p.expect(TokenKind::Equal)?;
            let first = p.operand()?;
            let value = match p.peek() {
                Some(TokenKind::Plus) => {
                    p.pos += 1;
                    SetValueAst::Plus(first, p.operand()?)
                }
                Some(TokenKind::Minus) => {
                    p.pos += 1;
                    SetValueAst::Minus(first, p.operand()?)
                }
                _ => SetValueAst::Operand(first),
            };
            ActionAst::Set(path, value)
        }
        "REMOVE" => ActionAst::Remove(path),
        "ADD" => ActionAst::Add(path, p.operand()?),
        _ => ActionAst::Delete(path, p.operand()?),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(Operand),
    Plus(Operand, Operand),
    Minus(Operand, Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, AttributeValue),
    Delete(Path, AttributeValue),
}

impl Update {
    /// Whether every action removes an attribute (and there is at least one): on an
    /// item that does not exist such an update changes nothing.
    pub fn only_removes(&self) -> bool {
        !self.actions.is_empty() && self.actions.iter().all(|a| matches!(a, Action::Remove(_)))
    }
}

impl Action {
    pub fn path(&self) -> &Path {
        match self {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => p,
        }
    }
}

/// A resolved update.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub actions: Vec<Action>,
}

fn value_operand(ast: &OperandAst, p: &mut Placeholders, clause: &str) -> Result<AttributeValue, ApiError> {
    match ast {
        OperandAst::Value(name) => p.value(KIND, name),
        _ => Err(invalid(
            KIND,
            format!("Incorrect operand type for operator or function; operator: {clause}, operand type: PATH"),
        )),
    }
}

impl UpdateAst {
    pub fn resolve(&self, p: &mut Placeholders) -> Result<Update, ApiError> {
        let mut actions: Vec<Action> = Vec::with_capacity(self.actions.len());
        for ast in &self.actions {
            let action = match ast {
                ActionAst::Set(path, value) => {
                    let path = p.path(KIND, path)?;
                    let value = match value {
                        SetValueAst::Operand(o) => SetValue::Operand(Operand::resolve(o, KIND, p)?),
                        SetValueAst::Plus(a, b) => {
                            SetValue::Plus(Operand::resolve(a, KIND, p)?, Operand::resolve(b, KIND, p)?)
                        }
                        SetValueAst::Minus(a, b) => {
                            SetValue::Minus(Operand::resolve(a, KIND, p)?, Operand::resolve(b, KIND, p)?)
                        }
                    };
                    Action::Set(path, value)
                }
                ActionAst::Remove(path) => Action::Remove(p.path(KIND, path)?),
                ActionAst::Add(path, operand) => {
                    let path = p.path(KIND, path)?;
                    let value = value_operand(operand, p, "ADD")?;
                    if !matches!(
                        value,
                        AttributeValue::N(_) | AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                    ) {
                        return Err(invalid(
                            KIND,
                            format!(
                                "Incorrect operand type for operator or function; operator: ADD, operand type: {}",
                                crate::compare::long_type_name(&value)
                            ),
                        ));
                    }
                    Action::Add(path, value)
                }
                ActionAst::Delete(path, operand) => {
                    let path = p.path(KIND, path)?;
                    let value = value_operand(operand, p, "DELETE")?;
                    if !matches!(
                        value,
                        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                    ) {
                        return Err(invalid(
                            KIND,
                            format!(
                                "Incorrect operand type for operator or function; operator: DELETE, operand type: {}",
                                crate::compare::long_type_name(&value)
                            ),
                        ));
                    }
                    Action::Delete(path, value)
                }
            };
            for earlier in &actions {
                check_paths(earlier.path(), action.path())?;
            }
            actions.push(action);
        }
        Ok(Update { actions })
    }
}

fn check_paths(one: &Path, two: &Path) -> Result<(), ApiError> {
    for (a, b) in one.0.iter().zip(&two.0) {
        match (a, b) {
            _ if a == b => continue,
            (PathElement::Attribute(_), PathElement::Attribute(_)) | (PathElement::Index(_), PathElement::Index(_)) => {
                return Ok(())
            }
            _ => {
                return Err(invalid(KIND, format!(
                    "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
                )))
            }
        }
    }
    Err(invalid(KIND, format!(
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
    )))
}

enum Change {
    Put(Path, AttributeValue),
    Remove(Path),
}

impl Update {
    /// The item after the update. Values are computed from `old`; errors are
    /// DynamoDB's runtime update errors.
    pub fn apply(&self, old: &Item) -> Result<Item, ApiError> {
        let mut changes = Vec::with_capacity(self.actions.len());
        for action in &self.actions {
            changes.push(match action {
                Action::Set(path, value) => Change::Put(path.clone(), set_value(value, old)?),
                Action::Remove(path) => Change::Remove(path.clone()),
                Action::Add(path, value) => Change::Put(path.clone(), add(path.get(old), value)?),
                Action::Delete(path, value) => match path.get(old) {
                    None => continue,
                    Some(current) => match delete(current, value)? {
                        Some(v) => Change::Put(path.clone(), v),
                        None => Change::Remove(path.clone()),
                    },
                },
            });
        }
        let mut item = old.clone();
        // Puts first, then removals from the highest list index down, so that
        // indexes keep referring to the list as it was.
        let (mut removals, mut puts): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|c| matches!(c, Change::Remove(_)));
        // Paths never overlap (the parser refuses that), so the order of puts only
        // matters for elements appended past the end of one list: DynamoDB appends
        // them in order of their indexes.
        puts.sort_by(|a, b| match (a, b) {
            (Change::Put(x, _), Change::Put(y, _)) => x.0.cmp(&y.0),
            _ => std::cmp::Ordering::Equal,
        });
        for change in puts {
            if let Change::Put(path, value) = change {
                put_at(&mut item, &path, value)?;
            }
        }
        removals.sort_by(|a, b| match (a, b) {
            (Change::Remove(x), Change::Remove(y)) => y.0.cmp(&x.0),
            _ => std::cmp::Ordering::Equal,
        });
        for change in removals {
            if let Change::Remove(path) = change {
                remove_at(&mut item, &path);
            }
        }
        Ok(item)
    }
}

fn set_value(value: &SetValue, old: &Item) -> Result<AttributeValue, ApiError> {
    let get = |o: &Operand| -> Result<AttributeValue, ApiError> {
        o.eval(old)?.map(|v| v.into_owned()).ok_or_else(missing_attribute)
    };
    match value {
        SetValue::Operand(o) => get(o),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => match (get(a)?, get(b)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                let y = if matches!(value, SetValue::Minus(..)) {
                    y.negate()
                } else {
                    y
                };
                Ok(AttributeValue::N(x.add(&y)?))
            }
            _ => Err(incorrect_data_type()),
        },
    }
}

fn add(current: Option<&AttributeValue>, value: &AttributeValue) -> Result<AttributeValue, ApiError> {
    use AttributeValue::*;
    Ok(match (current, value) {
        (None, v) => v.clone(),
        (Some(N(x)), N(y)) => N(x.add(y)?),
        (Some(Ss(x)), Ss(y)) => Ss(union(x, y)),
        (Some(Ns(x)), Ns(y)) => Ns(union(x, y)),
        (Some(Bs(x)), Bs(y)) => Bs(union(x, y)),
        _ => return Err(incorrect_data_type()),
    })
}

fn union<T: PartialEq + Clone>(x: &[T], y: &[T]) -> Vec<T> {
    let mut out = x.to_vec();
    out.extend(y.iter().filter(|e| !x.contains(e)).cloned());
    out
}

/// The set minus the given elements; None when nothing is left.
fn delete(current: &AttributeValue, value: &AttributeValue) -> Result<Option<AttributeValue>, ApiError> {
    use AttributeValue::*;
    fn minus<T: PartialEq + Clone>(x: &[T], y: &[T]) -> Vec<T> {
        x.iter().filter(|e| !y.contains(e)).cloned().collect()
    }
    let result = match (current, value) {
        (Ss(x), Ss(y)) => Ss(minus(x, y)),
        (Ns(x), Ns(y)) => Ns(minus(x, y)),
        (Bs(x), Bs(y)) => Bs(minus(x, y)),
        _ => return Err(incorrect_data_type()),
    };
    let empty = matches!(&result, Ss(v) if v.is_empty())
        || matches!(&result, Ns(v) if v.is_empty())
        || matches!(&result, Bs(v) if v.is_empty());
    Ok((!empty).then_some(result))
}

fn invalid_path() -> ApiError {
    ApiError::validation("The document path provided in the update expression is invalid for update")
}

fn put_at(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), ApiError> {
    let Some((PathElement::Attribute(first), rest)) = path.0.split_first() else {
        return Err(invalid_path());
    };
    if rest.is_empty() {
        item.insert(first.clone(), value);
        return Ok(());
    }
    let mut target = item.get_mut(first).ok_or_else(invalid_path)?;
    let (last, middle) = rest.split_last().ok_or_else(invalid_path)?;
    for element in middle {
        target = match (element, target) {
            (PathElement::Attribute(n), AttributeValue::M(m)) => m.get_mut(n).ok_or_else(invalid_path)?,
            (PathElement::Index(i), AttributeValue::L(l)) => l.get_mut(*i).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    match (last, target) {
        (PathElement::Attribute(n), AttributeValue::M(m)) => {
            m.insert(n.clone(), value);
        }
        (PathElement::Index(i), AttributeValue::L(l)) => {
            if *i < l.len() {
                l[*i] = value;
            } else {
                l.push(value);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

fn remove_at(item: &mut Item, path: &Path) {
    let Some((PathElement::Attribute(first), rest)) = path.0.split_first() else {
        return;
    };
    if rest.is_empty() {
        item.remove(first);
        return;
    }
    let Some(mut target) = item.get_mut(first) else {
        return;
    };
    let Some((last, middle)) = rest.split_last() else {
        return;
    };
    for element in middle {
        target = match (element, target) {
            (PathElement::Attribute(n), AttributeValue::M(m)) => match m.get_mut(n) {
                Some(t) => t,
                None => return,
            },
            (PathElement::Index(i), AttributeValue::L(l)) => match l.get_mut(*i) {
                Some(t) => t,
                None => return,
            },
            _ => return,
        };
    }
    match (last, target) {
        (PathElement::Attribute(n), AttributeValue::M(m)) => {
            m.remove(n);
        }
        (PathElement::Index(i), AttributeValue::L(l)) if *i < l.len() => {
            l.remove(*i);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
