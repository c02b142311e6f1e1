//! A token cursor shared by the condition and update parsers, with DynamoDB's
//! syntax-error messages and a nesting limit.

use crate::lexer::{syntax_error_detail, tokenize, Token, TokenKind};
use crate::limits::{MAX_EXPRESSION_LENGTH, MAX_NESTING, MAX_OPERATORS};
use crate::path::{parse_path, PathParseError, UnresolvedPath};
use crate::reserved::is_reserved;
use crate::ExpressionKind;
use cairn_model::ApiError;

/// An operand as written: a path, a `:value` placeholder, or a function call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperandAst {
    Path(UnresolvedPath),
    Value(String),
    Function { name: String, args: Vec<OperandAst> },
}

pub(crate) struct Parser<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    pub pos: usize,
    pub kind: ExpressionKind,
    depth: usize,
    /// Comparison and logical operators seen so far.
    operators: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str, kind: ExpressionKind) -> Result<Self, ApiError> {
        let parser = Parser {
            text,
            tokens: tokenize(text),
            pos: 0,
            kind,
            depth: 0,
            operators: 0,
        };
        if text.len() > MAX_EXPRESSION_LENGTH {
            return Err(parser.invalid(format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            )));
        }
        if parser.tokens.is_empty() {
            return Err(parser.invalid("The expression can not be empty;"));
        }
        Ok(parser)
    }

    /// "Invalid <Parameter>: <detail>"
    pub(crate) fn invalid(&self, detail: impl std::fmt::Display) -> ApiError {
        invalid(self.kind, detail)
    }

    /// Counts one comparison or logical operator; DynamoDB refuses expressions with
    /// more than 300.
    pub(crate) fn count_operator(&mut self) -> Result<(), ApiError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(self.invalid(format!(
                "The expression contains too many operators; operator count: {}",
                self.operators
            )));
        }
        Ok(())
    }

    /// Whether the `(` at the cursor opens a group whose only content is another
    /// group, `((...))`, which DynamoDB refuses as redundant.
    pub(crate) fn redundant_parentheses(&self) -> bool {
        let matching = |open: usize| -> Option<usize> {
            let mut depth = 0usize;
            for (i, token) in self.tokens.iter().enumerate().skip(open) {
                match token.kind {
                    TokenKind::LeftParen => depth += 1,
                    TokenKind::RightParen => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
            }
            None
        };
        if self.peek_at(1) != Some(TokenKind::LeftParen) {
            return false;
        }
        match (matching(self.pos), matching(self.pos + 1)) {
            (Some(outer), Some(inner)) => inner + 1 == outer,
            _ => false,
        }
    }

    pub(crate) fn syntax_error(&self) -> ApiError {
        self.invalid(syntax_error_detail(self.text, &self.tokens, self.pos))
    }

    pub(crate) fn peek(&self) -> Option<TokenKind> {
        self.tokens.get(self.pos).map(|t| t.kind)
    }

    pub(crate) fn peek_at(&self, offset: usize) -> Option<TokenKind> {
        self.tokens.get(self.pos + offset).map(|t| t.kind)
    }

    pub(crate) fn word(&self) -> &'a str {
        self.tokens.get(self.pos).map_or("", |t| &self.text[t.start..t.end])
    }

    /// Whether the next token is the keyword `kw` (keywords ignore case).
    pub(crate) fn at_keyword(&self, kw: &str) -> bool {
        self.peek() == Some(TokenKind::Identifier) && self.word().eq_ignore_ascii_case(kw)
    }

    pub(crate) fn expect(&mut self, kind: TokenKind) -> Result<(), ApiError> {
        if self.peek() == Some(kind) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    pub(crate) fn enter(&mut self) -> Result<(), ApiError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.invalid("The expression has too many nested levels"));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    pub(crate) fn path(&mut self) -> Result<UnresolvedPath, ApiError> {
        let mut pos = self.pos;
        match parse_path(self.text, &self.tokens, &mut pos) {
            Ok(path) => {
                if let Some(word) = path.bare_names().find(|n| is_reserved(n)) {
                    return Err(self.invalid(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {word}"
                    )));
                }
                self.pos = pos;
                Ok(path)
            }
            Err(PathParseError::UnexpectedToken(i)) => {
                self.pos = i;
                Err(self.syntax_error())
            }
            Err(PathParseError::TooDeep) => {
                Err(self.invalid("The document path has too many nesting levels; nesting levels: 33"))
            }
            Err(PathParseError::IndexOutOfRange(index)) => Err(self.invalid(format!(
                "List index is not within the allowable range; index: [{index}]"
            ))),
        }
    }

    /// operand ::= path | :value | name '(' operand (',' operand)* ')'
    pub(crate) fn operand(&mut self) -> Result<OperandAst, ApiError> {
        match self.peek() {
            Some(TokenKind::ValuePlaceholder) => {
                let name = self.word().to_string();
                self.pos += 1;
                Ok(OperandAst::Value(name))
            }
            Some(TokenKind::Identifier) if self.peek_at(1) == Some(TokenKind::LeftParen) => {
                let name = self.word().to_string();
                self.pos += 2;
                self.enter()?;
                let mut args = vec![self.operand()?];
                while self.peek() == Some(TokenKind::Comma) {
                    self.pos += 1;
                    args.push(self.operand()?);
                }
                self.expect(TokenKind::RightParen)?;
                self.leave();
                Ok(OperandAst::Function { name, args })
            }
            Some(TokenKind::Identifier | TokenKind::NamePlaceholder) => Ok(OperandAst::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }
}

pub(crate) fn invalid(kind: ExpressionKind, detail: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Invalid {}: {detail}", kind.parameter_name()))
}
