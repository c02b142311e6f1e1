//! ListTables: names in order, paged by ExclusiveStartTableName and Limit.

use crate::Engine;
use crate::RequestContext;
use cairn_model::constraints::Constraints;
use cairn_model::limits::MAX_LIST_TABLES_LIMIT;
use cairn_model::types::{ListTablesInput, ListTablesOutput};
use cairn_model::ApiError;

impl Engine {
    pub fn list_tables(&self, ctx: &RequestContext, input: ListTablesInput) -> Result<ListTablesOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        if let Some(start) = input.exclusive_start_table_name.as_deref() {
            c.table_name(Some(start), "exclusiveStartTableName");
        }
        if let Some(limit) = input.limit {
            c.at_least(limit, "limit", 1);
            c.at_most(limit, "limit", MAX_LIST_TABLES_LIMIT);
        }
        c.finish()?;
        let limit = input.limit.unwrap_or(MAX_LIST_TABLES_LIMIT) as usize;
        let names: Vec<String> = self
            .catalog
            .names(&ctx.region)
            .into_iter()
            .filter(|n| input.exclusive_start_table_name.as_ref().is_none_or(|start| n > start))
            .collect();
        let more = names.len() > limit;
        let table_names: Vec<String> = names.into_iter().take(limit).collect();
        let last_evaluated_table_name = if more { table_names.last().cloned() } else { None };
        Ok(ListTablesOutput {
            table_names,
            last_evaluated_table_name,
        })
    }
}
