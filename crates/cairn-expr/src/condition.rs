//! Condition and filter expressions (also the building block of key conditions):
//! comparisons, BETWEEN, IN, the condition functions, AND / OR / NOT with DynamoDB's
//! precedence (NOT binds tightest, then AND, then OR) and parentheses.

use crate::compare::{order, values_equal};
use crate::lexer::TokenKind;
use crate::limits::MAX_IN_OPERANDS;
use crate::parser::{invalid, OperandAst, Parser};
use crate::path::Path;
use crate::resolve::{operand_count_error, Operand, Placeholders, CONDITION_FUNCTIONS};
use crate::ExpressionKind;
use cairn_model::{ApiError, AttributeValue, Item};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    fn from_token(kind: TokenKind) -> Option<Comparator> {
        Some(match kind {
            TokenKind::Equal => Comparator::Eq,
            TokenKind::NotEqual => Comparator::Ne,
            TokenKind::Less => Comparator::Lt,
            TokenKind::LessEqual => Comparator::Le,
            TokenKind::Greater => Comparator::Gt,
            TokenKind::GreaterEqual => Comparator::Ge,
            _ => return None,
        })
    }
}

/// A parsed condition; placeholders unresolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionAst {
    Compare(OperandAst, Comparator, OperandAst),
    Between(OperandAst, OperandAst, OperandAst),
    In(OperandAst, Vec<OperandAst>),
    Function(String, Vec<OperandAst>),
    And(Box<ConditionAst>, Box<ConditionAst>),
    Or(Box<ConditionAst>, Box<ConditionAst>),
    Not(Box<ConditionAst>),
}

/// A resolved condition, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    AttributeType(Operand, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

/// Parses a condition (ConditionExpression, FilterExpression, ...).
pub fn parse_condition(text: &str, kind: ExpressionKind) -> Result<ConditionAst, ApiError> {
    let mut parser = Parser::new(text, kind)?;
    let condition = or_condition(&mut parser)?;
    if !parser.at_end() {
        return Err(parser.syntax_error());
    }
    Ok(condition)
}

fn or_condition(p: &mut Parser) -> Result<ConditionAst, ApiError> {
    let mut terms = vec![and_condition(p)?];
    while p.at_keyword("OR") {
        p.pos += 1;
        p.count_operator()?;
        terms.push(and_condition(p)?);
    }
    Ok(balanced(terms, &|a, b| ConditionAst::Or(Box::new(a), Box::new(b))))
}

fn and_condition(p: &mut Parser) -> Result<ConditionAst, ApiError> {
    let mut terms = vec![not_condition(p)?];
    while p.at_keyword("AND") {
        p.pos += 1;
        p.count_operator()?;
        terms.push(not_condition(p)?);
    }
    Ok(balanced(terms, &|a, b| ConditionAst::And(Box::new(a), Box::new(b))))
}

/// Joins a chain of `a OP b OP c ...` into a balanced tree. AND and OR are
/// associative and evaluation has no side effects, so the shape does not change the
/// result; a balanced tree keeps every later recursion (resolve, evaluate, drop)
/// logarithmic in the chain's length instead of linear.
fn balanced(mut terms: Vec<ConditionAst>, join: &dyn Fn(ConditionAst, ConditionAst) -> ConditionAst) -> ConditionAst {
    if terms.len() == 1 {
        // INVARIANT: callers pass at least one term.
        if let Some(only) = terms.pop() {
            return only;
        }
    }
    let right = terms.split_off(terms.len() / 2);
    join(balanced(terms, join), balanced(right, join))
}

fn not_condition(p: &mut Parser) -> Result<ConditionAst, ApiError> {
    if p.at_keyword("NOT") {
        p.pos += 1;
        p.count_operator()?;
        p.enter()?;
        let inner = not_condition(p)?;
        p.leave();
        return Ok(ConditionAst::Not(Box::new(inner)));
    }
    primary(p)
}

fn primary(p: &mut Parser) -> Result<ConditionAst, ApiError> {
    if p.peek() == Some(TokenKind::LeftParen) {
        if p.redundant_parentheses() {
            return Err(p.invalid("The expression has redundant parentheses;"));
        }
        p.pos += 1;
        p.enter()?;
        let inner = or_condition(p)?;
        p.expect(TokenKind::RightParen)?;
        p.leave();
        return Ok(inner);
    }
    let is_call = p.peek() == Some(TokenKind::Identifier) && p.peek_at(1) == Some(TokenKind::LeftParen);
    let left = p.operand()?;
    if is_call {
        if let OperandAst::Function { name, args } = &left {
            if CONDITION_FUNCTIONS.contains(&name.as_str()) || !is_comparison_next(p) {
                return Ok(ConditionAst::Function(name.clone(), args.clone()));
            }
        }
    }
    if let Some(comparator) = p.peek().and_then(Comparator::from_token) {
        p.pos += 1;
        p.count_operator()?;
        let right = p.operand()?;
        return Ok(ConditionAst::Compare(left, comparator, right));
    }
    if p.at_keyword("BETWEEN") {
        p.pos += 1;
        p.count_operator()?;
        let low = p.operand()?;
        if !p.at_keyword("AND") {
            return Err(p.syntax_error());
        }
        p.pos += 1;
        let high = p.operand()?;
        return Ok(ConditionAst::Between(left, low, high));
    }
    if p.at_keyword("IN") {
        p.pos += 1;
        p.count_operator()?;
        p.expect(TokenKind::LeftParen)?;
        let mut list = vec![p.operand()?];
        while p.peek() == Some(TokenKind::Comma) {
            p.pos += 1;
            list.push(p.operand()?);
        }
        p.expect(TokenKind::RightParen)?;
        return Ok(ConditionAst::In(left, list));
    }
    Err(p.syntax_error())
}

fn is_comparison_next(p: &Parser) -> bool {
    p.peek().and_then(Comparator::from_token).is_some() || p.at_keyword("BETWEEN") || p.at_keyword("IN")
}

const ATTRIBUTE_TYPES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

fn requires_path(kind: ExpressionKind, function: &str) -> ApiError {
    invalid(
        kind,
        format!("Operator or function requires a document path; operator or function: {function}"),
    )
}

fn wrong_operand_type(kind: ExpressionKind, function: &str, value: &AttributeValue) -> ApiError {
    invalid(
        kind,
        format!(
            "Incorrect operand type for operator or function; operator or function: {function}, operand type: {}",
            value.type_name()
        ),
    )
}

impl ConditionAst {
    pub fn resolve(&self, kind: ExpressionKind, p: &mut Placeholders) -> Result<Condition, ApiError> {
        let operand = |ast: &OperandAst, p: &mut Placeholders| Operand::resolve(ast, kind, p);
        Ok(match self {
            ConditionAst::Compare(a, op, b) => Condition::Compare(operand(a, p)?, *op, operand(b, p)?),
            ConditionAst::Between(a, low, high) => {
                let (a, low, high) = (operand(a, p)?, operand(low, p)?, operand(high, p)?);
                if let (Operand::Value(l), Operand::Value(h)) = (&low, &high) {
                    if order(l, h) == Some(Ordering::Greater) {
                        return Err(invalid(kind, format!(
                            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                            l.type_name(), scalar_text(l), h.type_name(), scalar_text(h)
                        )));
                    }
                }
                Condition::Between(a, low, high)
            }
            ConditionAst::In(a, list) => {
                if list.len() > MAX_IN_OPERANDS {
                    return Err(invalid(
                        kind,
                        format!(
                            "The IN operator is provided with too many operands; number of operands: {}",
                            list.len()
                        ),
                    ));
                }
                Condition::In(
                    operand(a, p)?,
                    list.iter().map(|x| operand(x, p)).collect::<Result<_, _>>()?,
                )
            }
            ConditionAst::Function(name, args) => resolve_function(name, args, kind, p)?,
            ConditionAst::And(a, b) => Condition::And(Box::new(a.resolve(kind, p)?), Box::new(b.resolve(kind, p)?)),
            ConditionAst::Or(a, b) => Condition::Or(Box::new(a.resolve(kind, p)?), Box::new(b.resolve(kind, p)?)),
            ConditionAst::Not(a) => Condition::Not(Box::new(a.resolve(kind, p)?)),
        })
    }
}

fn scalar_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn resolve_function(
    name: &str,
    args: &[OperandAst],
    kind: ExpressionKind,
    p: &mut Placeholders,
) -> Result<Condition, ApiError> {
    if !CONDITION_FUNCTIONS.contains(&name) {
        // A known operand function used as a whole condition, or an unknown name.
        let known = ["size", "if_not_exists", "list_append"].contains(&name);
        return Err(if known {
            invalid(
                kind,
                format!("The function is not allowed to be used this way in an expression; function: {name}"),
            )
        } else {
            invalid(kind, format!("Invalid function name; function: {name}"))
        });
    }
    let expected = if name.starts_with("attribute_") && name != "attribute_type" {
        1
    } else {
        2
    };
    if args.len() != expected {
        return Err(operand_count_error(kind, name, args.len()));
    }
    let resolved: Vec<Operand> = args
        .iter()
        .map(|a| Operand::resolve(a, kind, p))
        .collect::<Result<_, _>>()?;
    let mut it = resolved.into_iter();
    let first = it.next().ok_or_else(|| operand_count_error(kind, name, 0))?;
    let second = it.next();
    match (name, first, second) {
        ("attribute_exists", Operand::Path(path), None) => Ok(Condition::Exists(path)),
        ("attribute_not_exists", Operand::Path(path), None) => Ok(Condition::NotExists(path)),
        ("attribute_exists" | "attribute_not_exists", _, None) => Err(requires_path(kind, name)),
        ("attribute_type", first, Some(type_name)) => {
            if !matches!(first, Operand::Path(_)) {
                return Err(requires_path(kind, name));
            }
            if let Operand::Value(v) = &type_name {
                match v {
                    AttributeValue::S(t) if ATTRIBUTE_TYPES.contains(&t.as_str()) => {}
                    AttributeValue::S(t) => {
                        return Err(invalid(kind, format!(
                            "Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                        )))
                    }
                    other => return Err(wrong_operand_type(kind, name, other)),
                }
            }
            Ok(Condition::AttributeType(first, type_name))
        }
        ("begins_with", first, Some(prefix)) => {
            for operand in [&first, &prefix] {
                if let Operand::Value(v) = operand {
                    if !matches!(v, AttributeValue::S(_) | AttributeValue::B(_)) {
                        return Err(wrong_operand_type(kind, name, v));
                    }
                }
            }
            Ok(Condition::BeginsWith(first, prefix))
        }
        ("contains", Operand::Path(first), Some(Operand::Path(needle))) if first == needle => {
            let shown: Vec<String> = first
                .0
                .iter()
                .map(|e| match e {
                    crate::PathElement::Attribute(a) => a.clone(),
                    crate::PathElement::Index(i) => format!("[{i}]"),
                })
                .collect();
            Err(invalid(
                kind,
                format!(
                    "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [{}]",
                    shown.join(", ")
                ),
            ))
        }
        ("contains", first, Some(needle)) => Ok(Condition::Contains(first, needle)),
        _ => Err(operand_count_error(kind, name, args.len())),
    }
}

impl Condition {
    /// Whether `item` satisfies the condition. A missing attribute makes comparisons
    /// false, except `<>`, which is true.
    pub fn evaluate(&self, item: &Item) -> bool {
        fn get<'a>(o: &'a Operand, item: &'a Item) -> Option<std::borrow::Cow<'a, AttributeValue>> {
            o.eval(item).ok().flatten()
        }
        let get = |o| get(o, item);
        match self {
            Condition::Compare(a, op, b) => match (get(a), get(b)) {
                (Some(x), Some(y)) => compare(&x, *op, &y),
                _ => *op == Comparator::Ne,
            },
            Condition::Between(a, low, high) => match (get(a), get(low), get(high)) {
                (Some(x), Some(l), Some(h)) => {
                    matches!(order(&x, &l), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(order(&x, &h), Some(Ordering::Less | Ordering::Equal))
                }
                _ => false,
            },
            Condition::In(a, list) => match get(a) {
                Some(x) => list.iter().any(|o| get(o).is_some_and(|y| values_equal(&x, &y))),
                None => false,
            },
            Condition::Exists(path) => path.get(item).is_some(),
            Condition::NotExists(path) => path.get(item).is_none(),
            Condition::AttributeType(a, t) => match (get(a), get(t)) {
                (Some(x), Some(t)) => {
                    matches!(&*t, AttributeValue::S(name) if name == x.type_name())
                }
                _ => false,
            },
            Condition::BeginsWith(a, prefix) => match (get(a), get(prefix)) {
                (Some(x), Some(p)) => match (&*x, &*p) {
                    (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                    (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
                    _ => false,
                },
                _ => false,
            },
            Condition::Contains(a, needle) => match (get(a), get(needle)) {
                (Some(x), Some(n)) => contains(&x, &n),
                _ => false,
            },
            Condition::And(a, b) => a.evaluate(item) && b.evaluate(item),
            Condition::Or(a, b) => a.evaluate(item) || b.evaluate(item),
            Condition::Not(a) => !a.evaluate(item),
        }
    }
}

fn compare(x: &AttributeValue, op: Comparator, y: &AttributeValue) -> bool {
    match op {
        Comparator::Eq => values_equal(x, y),
        Comparator::Ne => !values_equal(x, y),
        Comparator::Lt => order(x, y) == Some(Ordering::Less),
        Comparator::Le => matches!(order(x, y), Some(Ordering::Less | Ordering::Equal)),
        Comparator::Gt => order(x, y) == Some(Ordering::Greater),
        Comparator::Ge => matches!(order(x, y), Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (haystack, needle) {
        (S(s), S(n)) => s.contains(n.as_str()),
        (B(b), B(n)) => n.is_empty() || b.windows(n.len()).any(|w| w == n.as_slice()),
        (Ss(set), S(n)) => set.contains(n),
        (Ns(set), N(n)) => set.contains(n),
        (Bs(set), B(n)) => set.contains(n),
        (L(list), n) => list.iter().any(|e| values_equal(e, n)),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
