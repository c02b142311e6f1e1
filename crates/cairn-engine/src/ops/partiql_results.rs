//! What PartiQL statements answer beyond their effect: the items a RETURNING clause
//! asks for, and errors phrased in PartiQL's terms rather than in those of the
//! expressions a statement is translated into (no `#n0` placeholders, no "Invalid
//! ConditionExpression").

use crate::write::ItemChange;
use cairn_expr::partiql::{Returning, Statement};
use cairn_expr::{Path, Projection, Update};
use cairn_model::{ApiError, Item};

/// The items of a write's RETURNING clause: the whole old or new item, or just the
/// parts the update touched; none when that is empty.
pub(crate) fn returned(returning: Option<Returning>, update: Option<&Update>, change: &ItemChange) -> Vec<Item> {
    let Some(returning) = returning else {
        return Vec::new();
    };
    let modified = |item: Option<&Item>| -> Option<Item> {
        let paths: Vec<Path> = update?.actions.iter().map(|a| a.path().clone()).collect();
        let projected = Projection { paths }.apply(item?);
        (!projected.is_empty()).then_some(projected)
    };
    let item = match returning {
        Returning::AllOld => change.old.clone(),
        Returning::AllNew => change.new.clone(),
        Returning::ModifiedOld => modified(change.old.as_ref()),
        Returning::ModifiedNew => modified(change.new.as_ref()),
    };
    item.into_iter().collect()
}

/// Rephrases an error raised while evaluating a statement's translated expressions:
/// DynamoDB reports PartiQL problems as statement problems, naming attributes as the
/// statement wrote them.
pub(crate) fn in_partiql_terms(statement: &Statement, error: ApiError) -> ApiError {
    const PREFIXES: [&str; 3] = [
        "Invalid ConditionExpression: ",
        "Invalid UpdateExpression: ",
        "Invalid ProjectionExpression: ",
    ];
    let Some(detail) = PREFIXES.iter().find_map(|p| error.message.strip_prefix(p)) else {
        return error;
    };
    let mut detail = detail.to_string();
    // Longest placeholders first, so #n1 does not replace inside #n12.
    let mut names: Vec<(&String, &String)> = statement.names.iter().collect();
    names.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    for (placeholder, name) in names {
        detail = detail.replace(placeholder.as_str(), name);
    }
    ApiError::new(
        error.kind,
        format!(
            "Statement wasn't well formed, can't be processed: {}",
            detail.trim_end_matches(';')
        ),
    )
}
