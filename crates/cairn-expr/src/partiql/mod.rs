//! The PartiQL subset DynamoDB accepts (SELECT, INSERT, UPDATE, DELETE on one
//! table), translated into the expression languages Cairn already evaluates: every
//! identifier becomes a `#name` placeholder and every literal or `?` parameter a
//! `:value`, so conditions, projections and updates reuse one parser and evaluator.

use cairn_model::{ApiError, AttributeValue, Item, Number};
use std::collections::BTreeMap;

mod clauses;
mod lexer;

use lexer::lex;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Param,
    Sym(String),
}

fn syntax(detail: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Statement wasn't well formed, can't be processed: {detail}"))
}

/// A statement translated into expression text and placeholder maps.
#[derive(Debug, Clone, PartialEq)]
pub enum Translated {
    Select {
        table: String,
        index: Option<String>,
        projection: Option<Vec<String>>,
        condition: Option<String>,
        /// ORDER BY: the attribute and whether descending.
        order_by: Option<(String, bool)>,
    },
    Insert {
        table: String,
        item: Item,
    },
    Update {
        table: String,
        update: String,
        condition: String,
        returning: Option<Returning>,
    },
    Delete {
        table: String,
        condition: String,
        returning: Option<Returning>,
    },
    /// `EXISTS(SELECT * FROM t WHERE ...)`: a condition check, only inside
    /// ExecuteTransaction.
    Exists {
        table: String,
        condition: String,
    },
}

/// What a write statement's RETURNING clause asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    AllOld,
    ModifiedOld,
    AllNew,
    ModifiedNew,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub translated: Translated,
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
}

struct Translator<'a> {
    toks: Vec<Tok>,
    pos: usize,
    params: &'a [AttributeValue],
    next_param: usize,
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
    /// How many map, list and set literals enclose the current token.
    literal_depth: usize,
}

/// Deepest nesting of literals the translator follows: an item map holding values
/// nested as deep as an item may be. Deeper text is refused here, before recursion
/// can exhaust the stack; the item about to be stored is checked again by the write
/// path (see tests/partiql_limits.rs).
const MAX_LITERAL_DEPTH: usize = cairn_model::limits::MAX_NESTING_DEPTH + 1;

const CONDITION_FUNCTIONS: &[&str] = &[
    "begins_with",
    "contains",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "size",
];

impl Translator<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn expect_keyword(&mut self, kw: &str) -> Result<(), ApiError> {
        if self.keyword(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(format!("expected {kw}")))
        }
    }
    fn sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if x == s)
    }
    fn sym_at(&self, offset: usize, s: &str) -> bool {
        matches!(self.toks.get(self.pos + offset), Some(Tok::Sym(x)) if x == s)
    }
    fn word_at(&self, offset: usize, kw: &str) -> bool {
        matches!(self.toks.get(self.pos + offset), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    /// The tokens from `start` to `end` as canonical text, to compare two paths.
    fn raw_text(&self, start: usize, end: usize) -> String {
        self.toks[start..end.min(self.toks.len())]
            .iter()
            .map(|t| match t {
                Tok::Word(w) | Tok::Quoted(w) => w.clone(),
                Tok::Str(s) => format!("'{s}'"),
                Tok::Num(n) => n.clone(),
                Tok::Param => "?".into(),
                Tok::Sym(s) => s.clone(),
            })
            .collect()
    }
    fn expect_sym(&mut self, s: &str) -> Result<(), ApiError> {
        if self.sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(format!("expected '{s}'")))
        }
    }
    fn name(&mut self, n: &str) -> String {
        let key = format!("#n{}", self.names.len());
        self.names.insert(key.clone(), n.to_string());
        key
    }
    fn value(&mut self, v: AttributeValue) -> String {
        let key = format!(":v{}", self.values.len());
        self.values.insert(key.clone(), v);
        key
    }
    fn table(&mut self) -> Result<(String, Option<String>), ApiError> {
        let table = match self.peek().cloned() {
            Some(Tok::Quoted(t)) | Some(Tok::Word(t)) => t,
            _ => return Err(syntax("expected a table name")),
        };
        self.pos += 1;
        if self.sym(".") {
            self.pos += 1;
            if let Some(Tok::Quoted(i)) | Some(Tok::Word(i)) = self.peek().cloned() {
                self.pos += 1;
                return Ok((table, Some(i)));
            }
            return Err(syntax("expected an index name"));
        }
        Ok((table, None))
    }

    /// A literal value (string, number, boolean, null, map, list, set) or `?`.
    fn literal(&mut self) -> Result<AttributeValue, ApiError> {
        if self.literal_depth > MAX_LITERAL_DEPTH {
            return Err(cairn_model::item_limits::nesting_error());
        }
        self.literal_depth += 1;
        let value = self.literal_at_depth();
        self.literal_depth -= 1;
        value
    }

    fn literal_at_depth(&mut self) -> Result<AttributeValue, ApiError> {
        let tok = self.peek().cloned().ok_or_else(|| syntax("expected a value"))?;
        self.pos += 1;
        Ok(match tok {
            Tok::Str(s) => AttributeValue::S(s),
            Tok::Num(n) => AttributeValue::N(Number::parse(&n)?),
            Tok::Param => {
                let v = self.params.get(self.next_param).cloned().ok_or_else(|| {
                    ApiError::validation("Number of parameters in request and statement don't match.")
                })?;
                self.next_param += 1;
                v
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => AttributeValue::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => AttributeValue::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => AttributeValue::Null,
            Tok::Sym(s) if s == "{" => {
                let mut map = Item::new();
                while !self.sym("}") {
                    let key = match self.peek().cloned() {
                        Some(Tok::Str(k)) | Some(Tok::Quoted(k)) => k,
                        _ => return Err(syntax("expected a map key")),
                    };
                    self.pos += 1;
                    self.expect_sym(":")?;
                    map.insert(key, self.literal()?);
                    if self.sym(",") {
                        self.pos += 1;
                    }
                }
                self.pos += 1;
                AttributeValue::M(map)
            }
            Tok::Sym(s) if s == "[" || s == "<<" => {
                let close = if s == "[" { "]" } else { ">>" };
                let mut list = Vec::new();
                while !self.sym(close) {
                    list.push(self.literal()?);
                    if self.sym(",") {
                        self.pos += 1;
                    }
                }
                self.pos += 1;
                if close == "]" {
                    AttributeValue::L(list)
                } else {
                    set_of(list)?
                }
            }
            _ => return Err(syntax("expected a value")),
        })
    }

    /// A document path: name ( '.' name | '[' n ']' )*
    fn path(&mut self) -> Result<String, ApiError> {
        let mut out = String::new();
        let first = match self.peek().cloned() {
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => w,
            _ => return Err(syntax("expected an attribute")),
        };
        self.pos += 1;
        out.push_str(&self.name(&first));
        loop {
            if self.sym(".") {
                self.pos += 1;
                let part = match self.peek().cloned() {
                    Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => w,
                    _ => return Err(syntax("expected an attribute")),
                };
                self.pos += 1;
                out.push('.');
                out.push_str(&self.name(&part));
            } else if self.sym("[") {
                self.pos += 1;
                let Some(Tok::Num(n)) = self.peek().cloned() else {
                    return Err(syntax("expected a list index"));
                };
                self.pos += 1;
                self.expect_sym("]")?;
                out.push_str(&format!("[{n}]"));
            } else {
                return Ok(out);
            }
        }
    }
}

fn set_of(values: Vec<AttributeValue>) -> Result<AttributeValue, ApiError> {
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    for v in values {
        match v {
            AttributeValue::S(s) => strings.push(s),
            AttributeValue::N(n) => numbers.push(n),
            _ => return Err(syntax("sets hold strings or numbers")),
        }
    }
    match (strings.is_empty(), numbers.is_empty()) {
        (false, true) => Ok(AttributeValue::Ss(strings)),
        (true, false) => Ok(AttributeValue::Ns(numbers)),
        _ => Err(syntax("a set holds one type and at least one value")),
    }
}

/// Parses one PartiQL statement with its `?` parameters.
pub fn translate(text: &str, params: &[AttributeValue]) -> Result<Statement, ApiError> {
    let mut t = Translator {
        toks: lex(text)?,
        pos: 0,
        params,
        next_param: 0,
        names: BTreeMap::new(),
        values: BTreeMap::new(),
        literal_depth: 0,
    };
    let translated = if t.keyword("EXISTS") && t.sym_at(1, "(") && t.toks.last() == Some(&Tok::Sym(")".into())) {
        // Read the inner SELECT without the closing parenthesis.
        t.toks.pop();
        t.pos += 2;
        t.expect_keyword("SELECT")?;
        t.expect_sym("*")?;
        t.expect_keyword("FROM")?;
        let (table, _) = t.table()?;
        t.expect_keyword("WHERE")?;
        Translated::Exists {
            table,
            condition: t.condition()?,
        }
    } else if t.keyword("SELECT") {
        t.pos += 1;
        let projection = if t.sym("*") {
            t.pos += 1;
            None
        } else {
            let mut paths = vec![t.path()?];
            while t.sym(",") {
                t.pos += 1;
                paths.push(t.path()?);
            }
            Some(paths)
        };
        t.expect_keyword("FROM")?;
        let (table, index) = t.table()?;
        let condition = if t.keyword("WHERE") {
            t.pos += 1;
            Some(t.condition()?)
        } else {
            None
        };
        let order_by = t.order_by()?;
        Translated::Select {
            table,
            index,
            projection,
            condition,
            order_by,
        }
    } else if t.keyword("INSERT") {
        t.pos += 1;
        t.expect_keyword("INTO")?;
        let (table, _) = t.table()?;
        t.expect_keyword("VALUE")?;
        let AttributeValue::M(item) = t.literal()? else {
            return Err(syntax("INSERT needs a map VALUE"));
        };
        Translated::Insert { table, item }
    } else if t.keyword("UPDATE") {
        t.pos += 1;
        let (table, _) = t.table()?;
        let mut clauses: Vec<(&'static str, String)> = Vec::new();
        loop {
            if t.keyword("SET") {
                t.pos += 1;
                clauses.push(t.set_assignment()?);
            } else if t.keyword("REMOVE") {
                t.pos += 1;
                clauses.push(("REMOVE", t.path()?));
            } else if t.sym(",") {
                t.pos += 1;
                if !t.keyword("SET") && !t.keyword("REMOVE") {
                    // `SET a = 1, b = 2` or `REMOVE a, b`
                    match clauses.last().map(|(c, _)| *c) {
                        Some("REMOVE") => clauses.push(("REMOVE", t.path()?)),
                        _ => clauses.push(t.set_assignment()?),
                    }
                }
            } else {
                break;
            }
        }
        t.expect_keyword("WHERE")?;
        let condition = t.condition()?;
        let returning = t.returning()?;
        let mut update = String::new();
        for clause in ["SET", "REMOVE", "ADD", "DELETE"] {
            let parts: Vec<&str> = clauses
                .iter()
                .filter(|(c, _)| *c == clause)
                .map(|(_, p)| p.as_str())
                .collect();
            if !parts.is_empty() {
                update.push_str(&format!(" {clause} {}", parts.join(", ")));
            }
        }
        Translated::Update {
            table,
            update: update.trim_start().to_string(),
            condition,
            returning,
        }
    } else if t.keyword("DELETE") {
        t.pos += 1;
        t.expect_keyword("FROM")?;
        let (table, _) = t.table()?;
        t.expect_keyword("WHERE")?;
        let condition = t.condition()?;
        let returning = t.returning()?;
        if let Some(r) = returning.filter(|r| *r != Returning::AllOld) {
            let shown = match r {
                Returning::ModifiedOld => "MODIFIED OLD",
                Returning::AllNew => "ALL NEW",
                _ => "MODIFIED NEW",
            };
            return Err(ApiError::validation(format!(
                "Invalid returning clause: RETURNING {shown} *. Only RETURNING ALL OLD * is allowed in DELETE statements."
            )));
        }
        Translated::Delete {
            table,
            condition,
            returning,
        }
    } else {
        return Err(syntax("unsupported statement"));
    };
    if t.pos < t.toks.len() {
        return Err(syntax("unexpected text at the end of the statement"));
    }
    if t.next_param != params.len() {
        return Err(ApiError::validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    Ok(Statement {
        translated,
        names: t.names,
        values: t.values,
    })
}
