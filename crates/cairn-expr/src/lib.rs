//! `cairn-expr` owns DynamoDB's expression languages: lexing, parsing to an AST,
//! resolving `#name` / `:value` placeholders, and evaluating against items.
//!
//! Three pure stages (parse → resolve → evaluate); nothing here touches storage or
//! knows which tables exist.

pub mod compare;
pub mod condition;
pub mod lexer;
mod parser;
pub mod partiql;
pub mod path;
pub mod projection;
pub mod reserved;
pub mod resolve;
pub mod update;

pub use condition::{parse_condition, Condition};
pub use parser::OperandAst;
pub use path::{Path, PathElement};
pub use projection::{parse_projection, Projection};
pub use resolve::Operand;
pub use resolve::Placeholders;
pub use update::{parse_update, Update};

/// Which expression parameter an error is about; DynamoDB names it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionKind {
    Projection,
    Condition,
    Filter,
    KeyCondition,
    Update,
    /// SearchVectors' SearchConditionExpression.
    SearchCondition,
}

impl ExpressionKind {
    pub fn parameter_name(self) -> &'static str {
        match self {
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Update => "UpdateExpression",
            ExpressionKind::SearchCondition => "SearchConditionExpression",
        }
    }
}

/// Bounds that keep hostile expressions from costing time or stack.
pub mod limits {
    /// Longest expression string DynamoDB accepts (4 KB).
    pub const MAX_EXPRESSION_LENGTH: usize = 4096;
    /// Deepest document path (attribute names and indexes) DynamoDB accepts.
    pub const MAX_PATH_DEPTH: usize = 32;
    /// Deepest nesting of parentheses and function calls the parser follows; it
    /// keeps recursion bounded whatever the input.
    pub const MAX_NESTING: usize = 100;
    /// Most comparison and logical operators in one expression.
    pub const MAX_OPERATORS: usize = 300;
    /// Most operands of one IN list.
    pub const MAX_IN_OPERANDS: usize = 100;
}
