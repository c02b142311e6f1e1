//! The clauses of PartiQL statements beyond their skeleton: WHERE conditions (with
//! IS checks), SET values (arithmetic, list_append, set_add, set_delete), RETURNING and
//! ORDER BY.

use super::{syntax, Tok, Translator, CONDITION_FUNCTIONS};
use cairn_model::ApiError;

impl Translator<'_> {
    /// The WHERE clause, token by token, as a condition expression.
    pub(super) fn condition(&mut self) -> Result<String, ApiError> {
        let mut out = Vec::new();
        while let Some(tok) = self.peek().cloned() {
            if self.keyword("RETURNING") || (self.keyword("ORDER") && self.word_at(1, "BY")) {
                break;
            }
            match tok {
                Tok::Word(w)
                    if CONDITION_FUNCTIONS.contains(&w.to_ascii_lowercase().as_str())
                        && self.toks.get(self.pos + 1) == Some(&Tok::Sym("(".into())) =>
                {
                    out.push(w.to_ascii_lowercase());
                    self.pos += 1;
                }
                Tok::Word(w) if ["and", "or", "not", "between", "in"].contains(&w.to_ascii_lowercase().as_str()) => {
                    out.push(w.to_ascii_uppercase());
                    self.pos += 1;
                }
                Tok::Word(w) if ["true", "false", "null"].contains(&w.to_ascii_lowercase().as_str()) => {
                    let v = self.literal()?;
                    out.push(self.value(v));
                }
                Tok::Word(_) | Tok::Quoted(_) => {
                    let path = self.path()?;
                    let checked = self.is_check(&path)?;
                    out.push(checked.unwrap_or(path));
                }
                Tok::Str(_) | Tok::Num(_) | Tok::Param => {
                    let v = self.literal()?;
                    out.push(self.value(v));
                }
                Tok::Sym(s) if s == "{" || s == "<<" => {
                    let v = self.literal()?;
                    out.push(self.value(v));
                }
                Tok::Sym(s) if s == "[" => {
                    // `IN [a, b]`: the condition language writes `IN (a, b)`.
                    self.pos += 1;
                    out.push("(".into());
                    while !self.sym("]") {
                        let v = self.literal()?;
                        out.push(self.value(v));
                        if self.sym(",") {
                            self.pos += 1;
                            out.push(",".into());
                        }
                    }
                    self.pos += 1;
                    out.push(")".into());
                }
                Tok::Sym(s) if s == "!=" => {
                    out.push("<>".into());
                    self.pos += 1;
                }
                Tok::Sym(s) => {
                    out.push(s);
                    self.pos += 1;
                }
            }
        }
        Ok(out.join(" "))
    }

    /// `path IS [NOT] MISSING | NULL | <type>` after a path, as a condition.
    fn is_check(&mut self, path: &str) -> Result<Option<String>, ApiError> {
        if !self.keyword("IS") {
            return Ok(None);
        }
        self.pos += 1;
        let negated = self.keyword("NOT");
        if negated {
            self.pos += 1;
        }
        let Some(Tok::Word(word)) = self.peek().cloned() else {
            return Err(syntax("Expected type name"));
        };
        self.pos += 1;
        let word = word.to_ascii_uppercase();
        let check = if word == "MISSING" {
            // MISSING is absence: its negation is presence.
            let function = if negated {
                "attribute_exists"
            } else {
                "attribute_not_exists"
            };
            return Ok(Some(format!("{function}({path})")));
        } else {
            let dynamodb_type = match word.as_str() {
                "NULL" => "NULL",
                "BOOL" | "BOOLEAN" => "BOOL",
                "STRING" => "S",
                "NUMBER" | "INT" | "INTEGER" | "DECIMAL" | "FLOAT" | "DOUBLE" => "N",
                "BLOB" | "BINARY" => "B",
                "LIST" => "L",
                "MAP" | "STRUCT" | "TUPLE" => "M",
                _ => return Err(syntax("Expected type name")),
            };
            let value = self.value(cairn_model::AttributeValue::S(dynamodb_type.to_string()));
            format!("attribute_type({path}, {value})")
        };
        Ok(Some(if negated { format!("NOT {check}") } else { check }))
    }

    /// One `path = value` of a SET clause, as update-expression text: `(clause, text)`
    /// where clause is SET, ADD (from set_add) or DELETE (from set_delete).
    pub(super) fn set_assignment(&mut self) -> Result<(&'static str, String), ApiError> {
        let start = self.pos;
        let path = self.path()?;
        let target = self.raw_text(start, self.pos);
        self.expect_sym("=")?;
        if let Some(Tok::Word(w)) = self.peek().cloned() {
            let function = w.to_ascii_lowercase();
            if (function == "set_add" || function == "set_delete") && self.sym_at(1, "(") {
                self.pos += 2;
                let first_start = self.pos;
                self.path()?;
                if self.raw_text(first_start, self.pos) != target {
                    return Err(syntax(format!(
                        "The first argument to {} must equal the assignment value",
                        function.to_ascii_uppercase()
                    )));
                }
                self.expect_sym(",")?;
                let value = self.literal()?;
                if !matches!(
                    value,
                    cairn_model::AttributeValue::Ss(_)
                        | cairn_model::AttributeValue::Ns(_)
                        | cairn_model::AttributeValue::Bs(_)
                ) {
                    return Err(syntax(format!(
                        "The second argument to {} must be a value with type SET",
                        function.to_ascii_uppercase()
                    )));
                }
                self.expect_sym(")")?;
                let placeholder = self.value(value);
                let clause = if function == "set_add" { "ADD" } else { "DELETE" };
                return Ok((clause, format!("{path} {placeholder}")));
            }
        }
        let mut text = self.set_operand()?;
        loop {
            if self.sym("+") || self.sym("-") {
                let Some(Tok::Sym(op)) = self.peek().cloned() else {
                    break;
                };
                self.pos += 1;
                text = format!("{text} {op} {}", self.set_operand()?);
            } else if let Some(Tok::Num(n)) = self
                .peek()
                .cloned()
                .filter(|t| matches!(t, Tok::Num(n) if n.starts_with('-')))
            {
                // `walks -1` lexes as a negative number: it is a subtraction.
                self.pos += 1;
                let magnitude = cairn_model::Number::parse(&n[1..])?;
                text = format!("{text} - {}", self.value(cairn_model::AttributeValue::N(magnitude)));
            } else {
                break;
            }
        }
        Ok(("SET", format!("{path} = {text}")))
    }

    /// An operand of a SET value: a literal, a path, or list_append / if_not_exists.
    fn set_operand(&mut self) -> Result<String, ApiError> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) if self.sym_at(1, "(") => {
                let function = w.to_ascii_lowercase();
                if function != "list_append" && function != "if_not_exists" {
                    return Err(syntax(format!("Unrecognized function: {w}")));
                }
                self.pos += 2;
                let first = self.set_operand()?;
                self.expect_sym(",")?;
                let second = self.set_operand()?;
                self.expect_sym(")")?;
                Ok(format!("{function}({first}, {second})"))
            }
            Some(Tok::Word(w)) if !["true", "false", "null"].contains(&w.to_ascii_lowercase().as_str()) => self.path(),
            Some(Tok::Quoted(_)) => self.path(),
            _ => {
                let v = self.literal()?;
                Ok(self.value(v))
            }
        }
    }

    /// `RETURNING (ALL | MODIFIED) (OLD | NEW) *`, if present.
    pub(super) fn returning(&mut self) -> Result<Option<super::Returning>, ApiError> {
        if !self.keyword("RETURNING") {
            return Ok(None);
        }
        self.pos += 1;
        let all = if self.keyword("ALL") {
            true
        } else if self.keyword("MODIFIED") {
            false
        } else {
            return Err(syntax("Unexpected token after expression"));
        };
        self.pos += 1;
        let old = if self.keyword("OLD") {
            true
        } else if self.keyword("NEW") {
            false
        } else {
            return Err(syntax("Unexpected token after expression"));
        };
        self.pos += 1;
        self.expect_sym("*")?;
        use super::Returning::*;
        Ok(Some(match (all, old) {
            (true, true) => AllOld,
            (true, false) => AllNew,
            (false, true) => ModifiedOld,
            (false, false) => ModifiedNew,
        }))
    }

    /// `ORDER BY path [ASC | DESC]` at the end of a SELECT: (attribute, descending).
    pub(super) fn order_by(&mut self) -> Result<Option<(String, bool)>, ApiError> {
        if !(self.keyword("ORDER") && self.word_at(1, "BY")) {
            return Ok(None);
        }
        self.pos += 2;
        let attribute = match self.peek().cloned() {
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => w,
            _ => return Err(syntax("Expected identifier for simple path")),
        };
        self.pos += 1;
        let descending = if self.keyword("DESC") {
            self.pos += 1;
            true
        } else {
            if self.keyword("ASC") {
                self.pos += 1;
            }
            false
        };
        Ok(Some((attribute, descending)))
    }
}
