//! `cairn-expr` owns DynamoDB's expression languages: lexing, parsing to an AST,
//! resolving `#name` / `:value` placeholders, and evaluating against items.
//!
//! Three pure stages (parse → resolve → evaluate); nothing here touches storage or
//! knows which tables exist. Today it holds document paths and ProjectionExpression;
//! conditions and updates build on the same lexer and paths.

pub mod lexer;
pub mod path;
pub mod projection;
pub mod reserved;

pub use path::{Path, PathElement};
pub use projection::{parse_projection, Projection};

/// Which expression parameter an error is about; DynamoDB names it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionKind {
    Projection,
    Condition,
    Filter,
    KeyCondition,
    Update,
}

impl ExpressionKind {
    pub fn parameter_name(self) -> &'static str {
        match self {
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Update => "UpdateExpression",
        }
    }
}

/// Bounds that keep hostile expressions from costing time or stack.
pub mod limits {
    /// Longest expression string DynamoDB accepts (4 KB).
    pub const MAX_EXPRESSION_LENGTH: usize = 4096;
    /// Deepest document path (attribute names and indexes) DynamoDB accepts.
    pub const MAX_PATH_DEPTH: usize = 32;
}
