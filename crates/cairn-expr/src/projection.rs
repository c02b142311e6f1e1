//! ProjectionExpression: a comma-separated list of document paths. Applying it copies
//! just those parts of an item, keeping their nesting; selected list elements keep
//! their relative order.

use crate::lexer::{syntax_error_detail, tokenize, TokenKind};
use crate::limits::MAX_EXPRESSION_LENGTH;
use crate::path::{parse_path, Path, PathElement, PathParseError, UnresolvedPath};
use cairn_model::{ApiError, AttributeValue, Item};
use std::collections::{BTreeMap, BTreeSet};

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Invalid ProjectionExpression: {detail}"))
}

/// A parsed ProjectionExpression, placeholders not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionAst {
    pub paths: Vec<UnresolvedPath>,
}

pub fn parse_projection(text: &str) -> Result<ProjectionAst, ApiError> {
    if text.len() > MAX_EXPRESSION_LENGTH {
        return Err(invalid(format!(
            "Expression size has exceeded the maximum allowed size; expression size: {}",
            text.len()
        )));
    }
    let tokens = tokenize(text);
    if tokens.is_empty() {
        return Err(invalid("The expression can not be empty;"));
    }
    let syntax = |index| invalid(syntax_error_detail(text, &tokens, index));
    let mut pos = 0;
    let mut paths = Vec::new();
    loop {
        match parse_path(text, &tokens, &mut pos) {
            Ok(path) => {
                if let Some(word) = path.bare_names().find(|n| crate::reserved::is_reserved(n)) {
                    return Err(invalid(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {word}"
                    )));
                }
                paths.push(path)
            }
            Err(PathParseError::UnexpectedToken(i)) => return Err(syntax(i)),
            Err(PathParseError::TooDeep) => {
                return Err(invalid(
                    "The document path has too many nesting levels; nesting levels: 33",
                ))
            }
            Err(PathParseError::IndexOutOfRange(index)) => {
                return Err(invalid(format!(
                    "List index is not within the allowable range; index: [{index}]"
                )))
            }
        }
        match tokens.get(pos).map(|t| t.kind) {
            None => break,
            Some(TokenKind::Comma) => pos += 1,
            Some(_) => return Err(syntax(pos)),
        }
    }
    Ok(ProjectionAst { paths })
}

/// A resolved projection, ready to apply to items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub paths: Vec<Path>,
}

impl ProjectionAst {
    /// Resolves `#name` placeholders (recording the ones used) and rejects paths that
    /// overlap or conflict, as DynamoDB does.
    pub fn resolve(
        &self,
        names: Option<&BTreeMap<String, String>>,
        used: &mut BTreeSet<String>,
    ) -> Result<Projection, ApiError> {
        let mut paths: Vec<Path> = Vec::with_capacity(self.paths.len());
        for unresolved in &self.paths {
            let path = unresolved.resolve(names, used).map_err(|undefined| {
                invalid(format!(
                    "An expression attribute name used in the document path is not defined; attribute name: {}",
                    undefined.0
                ))
            })?;
            for earlier in &paths {
                check_overlap(earlier, &path)?;
            }
            paths.push(path);
        }
        Ok(Projection { paths })
    }
}

fn check_overlap(one: &Path, two: &Path) -> Result<(), ApiError> {
    for (a, b) in one.0.iter().zip(&two.0) {
        if a == b {
            continue;
        }
        let same_kind = matches!(
            (a, b),
            (PathElement::Attribute(_), PathElement::Attribute(_)) | (PathElement::Index(_), PathElement::Index(_))
        );
        if same_kind {
            return Ok(());
        }
        return Err(invalid(format!(
            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
        )));
    }
    Err(invalid(format!(
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
    )))
}

/// Paths merged into a tree, so each part of the item is visited once.
#[derive(Default)]
struct Node {
    leaf: bool,
    children: BTreeMap<PathElement, Node>,
}

impl Projection {
    /// Builds a projection of plain top-level attribute names (AttributesToGet).
    pub fn of_attributes(names: &[String]) -> Projection {
        Projection {
            paths: names
                .iter()
                .map(|n| Path(vec![PathElement::Attribute(n.clone())]))
                .collect(),
        }
    }

    pub fn apply(&self, item: &Item) -> Item {
        let mut root = Node::default();
        for path in &self.paths {
            let mut node = &mut root;
            for element in &path.0 {
                node = node.children.entry(element.clone()).or_default();
            }
            node.leaf = true;
        }
        let mut out = Item::new();
        for (element, child) in &root.children {
            if let PathElement::Attribute(name) = element {
                if let Some(projected) = item.get(name).and_then(|v| project(v, child)) {
                    out.insert(name.clone(), projected);
                }
            }
        }
        out
    }
}

fn project(value: &AttributeValue, node: &Node) -> Option<AttributeValue> {
    if node.leaf {
        return Some(value.clone());
    }
    match value {
        AttributeValue::M(map) => {
            let mut out = Item::new();
            for (element, child) in &node.children {
                if let PathElement::Attribute(name) = element {
                    if let Some(v) = map.get(name).and_then(|v| project(v, child)) {
                        out.insert(name.clone(), v);
                    }
                }
            }
            (!out.is_empty()).then_some(AttributeValue::M(out))
        }
        AttributeValue::L(list) => {
            let out: Vec<AttributeValue> = node
                .children
                .iter()
                .filter_map(|(element, child)| match element {
                    PathElement::Index(i) => list.get(*i).and_then(|v| project(v, child)),
                    PathElement::Attribute(_) => None,
                })
                .collect();
            (!out.is_empty()).then_some(AttributeValue::L(out))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_model::wire::RawValue;

    fn item(json: &str) -> Item {
        let raw: RawValue = serde_json::from_str(json).unwrap();
        match AttributeValue::from_raw(raw).unwrap() {
            AttributeValue::M(m) => m,
            _ => unreachable!(),
        }
    }

    fn project_with(expr: &str, names: &[(&str, &str)], it: &Item) -> Result<Item, ApiError> {
        let names: BTreeMap<String, String> = names.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let mut used = BTreeSet::new();
        Ok(parse_projection(expr)?.resolve(Some(&names), &mut used)?.apply(it))
    }

    #[test]
    fn projects_nested_paths_and_list_elements() {
        let it = item(
            r#"{"M":{"pk":{"S":"k"},"m":{"M":{"n":{"S":"deep"},"o":{"S":"x"}}},"l":{"L":[{"S":"zero"},{"S":"one"},{"S":"two"}]}}}"#,
        );
        let out = project_with("#m.#n, l[2], l[0], absent.x", &[("#m", "m"), ("#n", "n")], &it).unwrap();
        let expected = item(r#"{"M":{"m":{"M":{"n":{"S":"deep"}}},"l":{"L":[{"S":"zero"},{"S":"two"}]}}}"#);
        assert_eq!(out, expected);
    }

    #[test]
    fn reports_syntax_errors_like_dynamodb() {
        assert_eq!(
            parse_projection("!!").unwrap_err().message,
            "Invalid ProjectionExpression: Syntax error; token: \"!\", near: \"!!\""
        );
        assert!(parse_projection("a,").unwrap_err().message.contains("token: <EOF>"));
        assert!(parse_projection("a[x]").is_err());
        assert!(parse_projection("").unwrap_err().message.contains("can not be empty"));
    }

    #[test]
    fn rejects_overlapping_and_conflicting_paths() {
        let it = Item::new();
        let e = project_with("a, a.b", &[], &it).unwrap_err().message;
        assert!(e.contains("Two document paths overlap"), "{e}");
        assert!(e.ends_with("path one: [a], path two: [a, b]"), "{e}");
        let e = project_with("a.b, a[0]", &[], &it).unwrap_err().message;
        assert!(e.contains("conflict"), "{e}");
        assert!(project_with("a.b, a.c", &[], &it).is_ok());
    }

    #[test]
    fn undefined_placeholder_is_named() {
        let e = project_with("#x", &[], &Item::new()).unwrap_err().message;
        assert!(e.ends_with("attribute name: #x"), "{e}");
    }
}
