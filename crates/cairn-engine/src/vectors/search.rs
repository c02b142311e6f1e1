//! SearchVectors: the TopK items of one vector index closest to a search vector,
//! within one value of the index's HASH attribute and among the entries that pass the
//! rest of the SearchConditionExpression (condition.rs).
//!
//! Small partitions are searched exactly: every entry in scope is scored (kernels in
//! `super`); large ones from an in-memory copy (ann.rs), re-scored exactly. Messages
//! are DynamoDB's where its documentation records them.

use super::condition::{check_shape, plan};
use super::{decode_entry, Distance, VectorIndexMeta};
use crate::ops::conditions::expression_values;
use crate::{Engine, RequestContext};
use cairn_expr::{parse_condition, parse_projection, ExpressionKind, PathElement, Placeholders};
use cairn_model::constraints::Constraints;
use cairn_model::types::{SearchResultItem, SearchVectorsInput, SearchVectorsOutput, VectorCapacity};
use cairn_model::{ApiError, AttributeValue, Item};
use cairn_storage::ScanRange;

pub const MAX_TOP_K: i64 = 100;
/// Entries read from storage per scan while searching.
const CHUNK: usize = 1024;

/// A candidate kept while scanning: the best `k` so far.
struct Best {
    k: usize,
    distance: Distance,
    /// (score, entry order, attributes), best first.
    kept: Vec<(f32, u64, Item)>,
}

impl Best {
    fn worst(&self) -> Option<f32> {
        (self.kept.len() == self.k)
            .then(|| self.kept.last().map(|(s, _, _)| *s))
            .flatten()
    }

    fn offer(&mut self, score: f32, order: u64, attributes: impl FnOnce() -> Option<Item>) {
        // Vectors near the f32 limits can overflow a score: such an entry ranks nowhere.
        if !score.is_finite() {
            return;
        }
        if let Some(worst) = self.worst() {
            if !self.distance.closer(score, worst) {
                return;
            }
        }
        let Some(attributes) = attributes() else { return };
        // Ties keep storage order: the earlier entry ranks first.
        let at = self
            .kept
            .iter()
            .position(|(s, _, _)| self.distance.closer(score, *s))
            .unwrap_or(self.kept.len());
        self.kept.insert(at, (score, order, attributes));
        self.kept.truncate(self.k);
    }
}

impl Engine {
    pub fn search_vectors(
        &self,
        ctx: &RequestContext,
        input: SearchVectorsInput,
    ) -> Result<SearchVectorsOutput, ApiError> {
        let mut c = Constraints::new();
        // A table name or ARN.
        c.not_null(&input.table_name, "tableName");
        if let Some(name) = input.table_name.as_deref() {
            let len = name.chars().count();
            c.min_length(Some(name), len, "tableName", 1);
            c.max_length(Some(name), len, "tableName", 1024);
        }
        c.not_null(&input.index_name, "indexName");
        c.not_null(&input.search_vector, "searchVector");
        c.not_null(&input.top_k, "topK");
        if let Some(vector) = &input.search_vector {
            if vector.is_empty() {
                c.violation_without_value("searchVector", "Member must have length greater than or equal to 1");
            } else if vector.len() > 4096 {
                c.violation_without_value("searchVector", "Member must have length less than or equal to 4096");
            }
        }
        crate::ops::common::return_consumed_capacity_constraint(&mut c, input.return_consumed_capacity.as_deref());
        c.finish()?;
        let table_name =
            crate::ops::backups::table_name_of(input.table_name.as_deref().unwrap_or_default()).to_string();
        let table = self.table(ctx, &table_name)?;
        let index_name = input.index_name.clone().unwrap_or_default();
        let index = table
            .vector_indexes
            .iter()
            .find(|i| i.name == index_name)
            .ok_or_else(|| {
                ApiError::validation(format!("The table does not have the specified index: {index_name}"))
            })?;
        if !index.ready {
            return Err(ApiError::validation(format!(
                "Cannot search backfilling vector index: {index_name}"
            )));
        }
        let top_k = input.top_k.unwrap_or_default();
        if !(1..=MAX_TOP_K).contains(&top_k) {
            return Err(ApiError::validation(format!(
                "Provided TopK value '{top_k}' is out of valid range. The value must be between 1 and {MAX_TOP_K} inclusive"
            )));
        }
        let raw = input.search_vector.clone().unwrap_or_default();
        if raw.len() != index.dimensions {
            return Err(ApiError::validation(format!(
                "Input search vector dimension {} does not match vector index dimension {}",
                raw.len(),
                index.dimensions
            )));
        }
        let values: Vec<AttributeValue> = raw
            .into_iter()
            .map(AttributeValue::from_raw)
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::validation(format!("Invalid SearchVector: {}", e.message)))?;
        let query = super::search_vector(&values).ok_or_else(|| {
            ApiError::validation(
                "Invalid SearchVector: every element is a number (N) that fits in 32-bit floating point",
            )
        })?;

        crate::ops::common::ExpressionParameters {
            expressions: &[
                ("SearchConditionExpression", input.search_condition_expression.is_some()),
                ("ProjectionExpression", input.projection_expression.is_some()),
            ],
            legacy: &[],
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
        }
        .check()?;
        let expression_values = expression_values(input.expression_attribute_values.clone())?;
        let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), expression_values.as_ref());
        let condition = match input.search_condition_expression.as_deref() {
            Some(text) => {
                let condition = parse_condition(text, ExpressionKind::SearchCondition)?
                    .resolve(ExpressionKind::SearchCondition, &mut placeholders)?;
                check_shape(&condition, index)?;
                Some(condition)
            }
            None => None,
        };
        let projection = match input.projection_expression.as_deref() {
            Some(text) => Some(parse_projection(text)?.resolve(placeholders.names, &mut placeholders.used_names)?),
            None => None,
        };
        placeholders.reject_unused()?;
        let searched = plan(condition, index)?;
        let prefix = super::partition_prefix(index, searched.hash_value.as_ref());
        let filter = searched.filter;
        let mut best = Best {
            k: top_k as usize,
            distance: index.distance,
            kept: Vec::new(),
        };
        let mut examined: u64 = 0;
        let partition = (index.id, prefix.clone());
        // The same predicate for the in-memory candidates (over their filter values)
        // and for every entry scored (over its projected attributes, which include
        // those values).
        let passes = |attributes: &Item| filter.as_ref().is_none_or(|c| c.evaluate(attributes));
        // Graphs follow this server's commits only: on a store other servers write
        // to, every search is exact.
        let graph = (!self.storage.shared())
            .then(|| self.vector_graphs.ready(&partition))
            .flatten();
        if let Some(graph) = graph {
            // A large partition: candidates from its graph, each re-read, re-checked
            // and scored exactly (one deleted or changed since is dropped or ranked
            // by what storage holds now). In key order, so ties rank as in the exact
            // path.
            let want = (best.k * 20).max(200);
            let predicate: &dyn Fn(&Item) -> bool = &passes;
            let mut candidates = graph.candidates(&query, want, filter.is_some().then_some(predicate));
            // A scan that found fewer than asked for found every entry that passes.
            let complete = graph.is_exhaustive() && candidates.len() < want;
            candidates.sort();
            for key in candidates {
                let Some(bytes) = self.storage.get(&key).map_err(crate::storage_error)? else {
                    continue;
                };
                let Some(entry) = decode_entry(&bytes) else { continue };
                if !passes(&entry.attributes) || entry.vector.len() != query.len() {
                    continue;
                }
                examined += 1;
                let score = index.distance.score(&query, &entry.vector);
                let (vector, attributes) = (entry.vector, entry.attributes);
                best.offer(score, examined, || {
                    Some(result_item(index, attributes, &vector, projection.as_ref()))
                });
            }
            // A selective filter can leave a graph short of TopK: then search exactly.
            if best.kept.len() == best.k || complete {
                return Ok(self.search_output(index, best, examined, input.return_consumed_capacity.as_deref()));
            }
            best.kept.clear();
            examined = 0;
        }
        let mut range = ScanRange::prefix(&prefix);
        // Every entry of the partition, whether it passes the condition or not: what
        // an in-memory copy of it would hold.
        let mut partition_size = 0usize;
        loop {
            let chunk = self.storage.scan(&range, CHUNK).map_err(crate::storage_error)?;
            for (key, bytes) in &chunk {
                let Some(entry) = decode_entry(bytes) else { continue };
                partition_size += 1;
                if !passes(&entry.attributes) || entry.vector.len() != query.len() {
                    continue;
                }
                examined += 1;
                let score = index.distance.score(&query, &entry.vector);
                let vector = entry.vector;
                let attributes = entry.attributes;
                best.offer(score, examined, || {
                    Some(result_item(index, attributes, &vector, projection.as_ref()))
                });
                let _ = key;
            }
            match chunk.last() {
                Some((key, _)) if chunk.len() == CHUNK => range.start = std::ops::Bound::Excluded(key.clone()),
                _ => break,
            }
        }
        if partition_size >= self.config.vector_graph_threshold {
            // Large enough to search approximately from now on: build its graph.
            self.vector_graphs.build(
                self.storage.clone(),
                index.clone(),
                partition,
                partition_size,
                self.config.vector_flat_max,
                self.config.vector_memory_bytes,
            );
        }
        Ok(self.search_output(index, best, examined, input.return_consumed_capacity.as_deref()))
    }

    fn search_output(
        &self,
        index: &VectorIndexMeta,
        best: Best,
        examined: u64,
        return_consumed_capacity: Option<&str>,
    ) -> SearchVectorsOutput {
        let returned: usize = best
            .kept
            .iter()
            .map(|(_, _, item)| cairn_model::value::item_size(item))
            .sum();
        let consumed = match crate::ops::common::return_consumed_capacity(return_consumed_capacity) {
            cairn_model::types::ReturnConsumedCapacity::None => None,
            _ => Some(VectorCapacity {
                vector_search_request_bytes: Some(
                    ((examined as usize * index.dimensions * 4 + returned) as f64).max(1024.0),
                ),
                vector_write_request_bytes: None,
            }),
        };
        SearchVectorsOutput {
            search_results: best
                .kept
                .into_iter()
                .map(|(score, _, item)| SearchResultItem {
                    item,
                    score: f64::from(score),
                })
                .collect(),
            consumed_capacity: consumed,
        }
    }
}

/// What a result carries: the projected attributes (the vector only when the
/// ProjectionExpression names it; what the index does not hold is silently absent).
fn result_item(
    index: &VectorIndexMeta,
    mut attributes: Item,
    vector: &[f32],
    projection: Option<&cairn_expr::Projection>,
) -> Item {
    let Some(projection) = projection else {
        return attributes;
    };
    let wants_vector = projection
        .paths
        .iter()
        .any(|p| matches!(p.0.first(), Some(PathElement::Attribute(n)) if n == &index.attribute));
    if wants_vector {
        let list = vector
            .iter()
            .filter_map(|x| {
                cairn_model::number::Number::parse(&format_f32(*x))
                    .ok()
                    .map(AttributeValue::N)
            })
            .collect();
        attributes.insert(index.attribute.clone(), AttributeValue::L(list));
    }
    projection.apply(&attributes)
}

/// An f32 as the shortest decimal that reads back as the same f32.
fn format_f32(x: f32) -> String {
    let text = format!("{x}");
    if text.contains('e') || text.contains("inf") || text.contains("NaN") {
        format!("{x:e}")
    } else {
        text
    }
}
