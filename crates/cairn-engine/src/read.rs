//! The paged read shared by Query and Scan: walk a storage range in key order,
//! count what is read against Limit and the 1 MB page size (before any filter), apply
//! the filter and projection, and report LastEvaluatedKey as DynamoDB shapes it.

use crate::catalog::{IndexMeta, KeyAttribute, TableMeta};
use crate::indexes::{entry_key, index_prefix};
use crate::keys::{item_storage_key, key_of, table_prefix};
use crate::write::decode_or_skip;
use crate::{storage_error, Engine};
use cairn_expr::{Condition, Projection};
use cairn_model::value::item_size;
use cairn_model::{ApiError, Item};
use cairn_storage::ScanRange;
use std::ops::Bound;

/// DynamoDB stops a Query or Scan page once it has read 1 MB.
const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Entries fetched from storage per round trip.
const BATCH: usize = 256;

/// Which read an ExclusiveStartKey belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadOperation {
    Query,
    Scan,
}

/// What a read walks: a table, or one of its indexes.
pub(crate) struct Source<'a> {
    pub table: &'a TableMeta,
    pub index: Option<&'a IndexMeta>,
}

impl<'a> Source<'a> {
    /// The source `operation` (Query, Scan) reads; a vector index is read only by
    /// SearchVectors.
    pub(crate) fn for_read(
        table: &'a TableMeta,
        index_name: Option<&str>,
        operation: &str,
    ) -> Result<Source<'a>, ApiError> {
        if let Some(name) = index_name {
            if table.vector_indexes.iter().any(|v| v.name == name) {
                return Err(ApiError::validation(format!(
                    "{operation} operation not supported on this index type."
                )));
            }
        }
        Source::new(table, index_name)
    }

    pub(crate) fn new(table: &'a TableMeta, index_name: Option<&str>) -> Result<Source<'a>, ApiError> {
        let Some(name) = index_name else {
            return Ok(Source { table, index: None });
        };
        let index = table
            .global_secondary_indexes
            .iter()
            .chain(&table.local_secondary_indexes)
            .find(|i| i.name == name)
            .ok_or_else(|| ApiError::validation(format!("The table does not have the specified index: {name}")))?;
        Ok(Source {
            table,
            index: Some(index),
        })
    }

    pub(crate) fn is_global_index(&self) -> bool {
        self.index
            .is_some_and(|i| self.table.global_secondary_indexes.iter().any(|g| g.name == i.name))
    }

    pub(crate) fn base(&self) -> Vec<u8> {
        match self.index {
            Some(index) => index_prefix(index.id),
            None => table_prefix(self.table.id),
        }
    }

    /// The partition-key attributes (several for a multi-attribute GSI key).
    pub(crate) fn hash_keys(&self) -> Vec<&KeyAttribute> {
        match self.index {
            Some(i) => i.hash_keys(),
            None => vec![&self.table.hash_key],
        }
    }

    /// The sort-key attributes, in order.
    pub(crate) fn range_keys(&self) -> Vec<&KeyAttribute> {
        match self.index {
            Some(i) => i.range_keys(),
            None => self.table.range_key.iter().collect(),
        }
    }

    /// Every key attribute a LastEvaluatedKey of this source carries.
    pub(crate) fn key_attributes(&self) -> Vec<&KeyAttribute> {
        let mut attrs: Vec<&KeyAttribute> = self.table.key_attributes().collect();
        if let Some(index) = self.index {
            for a in index.key_attributes() {
                if !attrs.iter().any(|b| b.name == a.name) {
                    attrs.push(a);
                }
            }
        }
        attrs
    }

    /// The LastEvaluatedKey of an item read from this source.
    pub(crate) fn last_key(&self, item: &Item) -> Item {
        self.key_attributes()
            .into_iter()
            .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
            .collect()
    }

    /// The storage key of the entry an ExclusiveStartKey names, after validating it
    /// against the source's key schema (table keys, and the index's for an index).
    /// DynamoDB words a mismatch differently for Query and Scan.
    pub(crate) fn start_key(&self, key: &Item, operation: ReadOperation) -> Result<Vec<u8>, ApiError> {
        let invalid = || {
            ApiError::validation(match operation {
                ReadOperation::Query => "The provided starting key is invalid",
                ReadOperation::Scan => {
                    "The provided starting key is invalid: The provided key element does not match the schema"
                }
            })
        };
        let attrs = self.key_attributes();
        if key.len() != attrs.len() {
            return Err(invalid());
        }
        for a in &attrs {
            if key.get(&a.name).and_then(|v| v.scalar_type()) != Some(a.kind) {
                return Err(invalid());
            }
        }
        Ok(match self.index {
            Some(index) => entry_key(self.table, index, key).ok_or_else(invalid)?,
            None => item_storage_key(self.table, &key_of(self.table, key)),
        })
    }
}

/// How to turn a walk into one page.
pub(crate) struct PagePlan<'a> {
    pub range: ScanRange,
    pub limit: Option<usize>,
    pub filter: Option<&'a Condition>,
    pub projection: Option<&'a Projection>,
    pub count_only: bool,
    /// Read each entry's full item from the table (LSI reads beyond the projection).
    pub fetch_from_table: bool,
    /// Write the items as a JSON array (`Page::json`) rather than into `Page::items`.
    pub render: bool,
}

pub(crate) struct Page {
    pub items: Vec<Item>,
    /// The items as a JSON array, when the plan asked for it.
    pub json: Option<Vec<u8>>,
    pub count: usize,
    pub scanned: usize,
    pub bytes_read: usize,
    pub last_evaluated_key: Option<Item>,
}

impl Engine {
    pub(crate) fn read_page(&self, source: &Source, mut plan: PagePlan) -> Result<Page, ApiError> {
        let mut page = Page {
            items: Vec::new(),
            json: plan.render.then(|| b"[".to_vec()),
            count: 0,
            scanned: 0,
            bytes_read: 0,
            last_evaluated_key: None,
        };
        // Items that go to the client as storage holds them are written to the page's
        // JSON straight from their encoding.
        let verbatim = plan.render
            && plan.filter.is_none()
            && plan.projection.is_none()
            && !plan.fetch_from_table
            && !plan.count_only;
        loop {
            let want = plan.limit.map_or(BATCH, |l| (l - page.scanned).min(BATCH));
            let batch = self.storage.scan(&plan.range, want).map_err(storage_error)?;
            let exhausted = batch.len() < want;
            for (key, value) in &batch {
                if let Some(json) = page.json.as_mut().filter(|_| verbatim) {
                    let mark = json.len();
                    if page.count > 0 {
                        json.push(b',');
                    }
                    if let Some(size) = cairn_model::render::write_item_json(value, json) {
                        page.scanned += 1;
                        page.count += 1;
                        page.bytes_read += size;
                        if plan.limit.is_some_and(|l| page.scanned >= l) || page.bytes_read >= MAX_PAGE_BYTES {
                            page.last_evaluated_key =
                                decode_or_skip(source.table, key, value).map(|item| source.last_key(&item));
                            return Ok(page.finish());
                        }
                        continue;
                    }
                    // Undecodable: the path below logs and skips it.
                    json.truncate(mark);
                }
                let Some(mut item) = decode_or_skip(source.table, key, value) else {
                    continue;
                };
                if plan.fetch_from_table {
                    if let Some(full) = self.read_item(source.table, &key_of(source.table, &item))? {
                        item = full;
                    }
                }
                page.scanned += 1;
                page.bytes_read += item_size(&item);
                let limit_reached = plan.limit.is_some_and(|l| page.scanned >= l);
                let page_full = limit_reached || page.bytes_read >= MAX_PAGE_BYTES;
                if page_full {
                    page.last_evaluated_key = Some(source.last_key(&item));
                }
                if plan.filter.is_none_or(|f| f.evaluate(&item)) {
                    page.count += 1;
                    if !plan.count_only {
                        let item = match plan.projection {
                            Some(p) => p.apply(&item),
                            None => item,
                        };
                        match page.json.as_mut() {
                            Some(json) => {
                                if page.count > 1 {
                                    json.push(b',');
                                }
                                serde_json::to_writer(&mut *json, &item)
                                    .map_err(|e| ApiError::internal(format!("response encoding failed: {e}")))?;
                            }
                            None => page.items.push(item),
                        }
                    }
                }
                if page_full {
                    return Ok(page.finish());
                }
            }
            match batch.last() {
                Some((key, _)) if !exhausted => {
                    if plan.range.reverse {
                        plan.range.end = Bound::Excluded(key.clone());
                    } else {
                        plan.range.start = Bound::Excluded(key.clone());
                    }
                }
                _ => return Ok(page.finish()),
            }
        }
    }
}

impl Page {
    fn finish(mut self) -> Page {
        if let Some(json) = self.json.as_mut() {
            json.push(b']');
        }
        self
    }
}

/// Narrows a range to start after (or, reversed, end before) an ExclusiveStartKey;
/// a key outside the range leaves it as it is.
pub(crate) fn resume_after(range: &mut ScanRange, start: Vec<u8>) {
    let value = |b: &Bound<Vec<u8>>| match b {
        Bound::Included(v) | Bound::Excluded(v) => Some(v.clone()),
        Bound::Unbounded => None,
    };
    if range.reverse {
        if value(&range.end).is_none_or(|e| start <= e) {
            range.end = Bound::Excluded(start);
        }
    } else if value(&range.start).is_none_or(|s| start >= s) {
        range.start = Bound::Excluded(start);
    }
}

/// ConsumedCapacity of a Query or Scan: reads of an index are charged to the index.
pub(crate) fn read_capacity(
    source: &Source,
    units: f64,
    requested: Option<&str>,
) -> Option<cairn_model::types::ConsumedCapacity> {
    use crate::capacity::{consumed, consumed_with_indexes, Kind};
    let mode = cairn_model::types::ReturnConsumedCapacity::parse(requested)
        .unwrap_or(cairn_model::types::ReturnConsumedCapacity::None);
    match source.index {
        Some(index) => consumed_with_indexes(
            source.table,
            0.0,
            &vec![(
                index.name.clone(),
                if source.is_global_index() {
                    crate::capacity::IndexKind::Global
                } else {
                    crate::capacity::IndexKind::Local
                },
                units,
            )],
            Kind::Read,
            mode,
        ),
        None => consumed(source.table, units, Kind::Read, mode),
    }
}
