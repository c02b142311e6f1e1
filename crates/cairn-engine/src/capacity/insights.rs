//! Contributor Insights: UpdateContributorInsights, DescribeContributorInsights and
//! ListContributorInsights, with real data behind them. DynamoDB publishes the most
//! accessed and most throttled keys to CloudWatch; Cairn keeps them itself, per table
//! and GSI with insights enabled, in a Space-Saving sketch of bounded size, and
//! answers them at `GET /_cairn/contributor-insights?table=T[&index=I]`.
//!
//! The settings live in the table's catalog entry (they survive restarts and are
//! shared by servers over PostgreSQL); the counts are this server's, since it last
//! started or since insights were last enabled.

use crate::capacity::throttle::{KeyUse, Metered};
use crate::catalog::{persist_meta, TableMeta};
use crate::ops::common::data_plane_table_name;
use crate::{storage_error, Engine, RequestContext};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    ContributorInsightsSummary, DescribeContributorInsightsInput, DescribeContributorInsightsOutput,
    ListContributorInsightsInput, ListContributorInsightsOutput, UpdateContributorInsightsInput,
    UpdateContributorInsightsOutput,
};
use cairn_model::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

/// Counters each sketch keeps: the top ten of them are reported (Space-Saving keeps
/// every key whose count exceeds total/COUNTERS, so the top ten are exact unless
/// the traffic is spread very thin).
const COUNTERS: usize = 64;
/// How many contributors a report lists per rule (CloudWatch shows ten).
const REPORTED: usize = 10;

const MODES: &[&str] = &["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"];
const ACTIONS: &[&str] = &["ENABLE", "DISABLE"];

/// Contributor Insights on one table or GSI, as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsSetting {
    /// None for the table itself.
    pub index: Option<String>,
    pub enabled: bool,
    pub mode: String,
    /// When the status last changed (clock seconds); also names the rules.
    pub changed_at: f64,
}

/// The four rules DynamoDB creates: partition keys (and, for a table with a sort
/// key, whole keys), by consumed capacity (accessed) and by throttle count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    PartitionKeysAccessed,
    PartitionKeysThrottled,
    ItemKeysAccessed,
    ItemKeysThrottled,
}

impl Rule {
    fn code(self) -> &'static str {
        match self {
            Rule::PartitionKeysAccessed => "PKC",
            Rule::PartitionKeysThrottled => "PKT",
            Rule::ItemKeysAccessed => "SKC",
            Rule::ItemKeysThrottled => "SKT",
        }
    }

    fn accessed(self) -> bool {
        matches!(self, Rule::PartitionKeysAccessed | Rule::ItemKeysAccessed)
    }

    /// The rules an enabled setting runs, in DynamoDB's order.
    fn of(mode: &str, sort_key: bool) -> Vec<Rule> {
        let throttled_only = mode == "THROTTLED_KEYS";
        let mut rules = Vec::new();
        if !throttled_only {
            rules.push(Rule::PartitionKeysAccessed);
        }
        rules.push(Rule::PartitionKeysThrottled);
        if sort_key {
            if !throttled_only {
                rules.push(Rule::ItemKeysAccessed);
            }
            rules.push(Rule::ItemKeysThrottled);
        }
        rules
    }
}

/// Space-Saving: at most COUNTERS keys; a new key takes the place of the smallest
/// counter and inherits its count as its possible overestimate.
#[derive(Debug, Default)]
struct Sketch {
    counters: HashMap<String, (f64, f64)>,
}

impl Sketch {
    fn add(&mut self, key: &str, weight: f64) {
        if let Some(counter) = self.counters.get_mut(key) {
            counter.0 += weight;
            return;
        }
        if self.counters.len() < COUNTERS {
            self.counters.insert(key.to_string(), (weight, 0.0));
            return;
        }
        let smallest = self
            .counters
            .iter()
            .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
            .map(|(k, (count, _))| (k.clone(), *count));
        if let Some((evicted, count)) = smallest {
            self.counters.remove(&evicted);
            self.counters.insert(key.to_string(), (count + weight, count));
        }
    }

    fn top(&self) -> Vec<Contributor> {
        let mut all: Vec<Contributor> = self
            .counters
            .iter()
            .map(|(key, (value, error))| Contributor {
                key: key.clone(),
                value: *value,
                overestimate: *error,
            })
            .collect();
        all.sort_by(|a, b| b.value.total_cmp(&a.value).then_with(|| a.key.cmp(&b.key)));
        all.truncate(REPORTED);
        all
    }
}

/// One key in a report: consumed capacity units (accessed rules) or throttled
/// requests (throttled rules), and by how much the sketch may overstate it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contributor {
    pub key: String,
    pub value: f64,
    pub overestimate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub rule: String,
    pub contributors: Vec<Contributor>,
}

/// What `GET /_cairn/contributor-insights` answers.
#[derive(Debug, Clone, Serialize)]
pub struct InsightsReport {
    pub table: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    pub rules: Vec<RuleReport>,
}

type SketchKey = (String, String, Option<String>, Rule);

/// This server's counts, per (region, table, index, rule).
#[derive(Default)]
pub(crate) struct ContributorInsights {
    sketches: Mutex<HashMap<SketchKey, Sketch>>,
}

impl ContributorInsights {
    fn add(&self, region: &str, table: &TableMeta, key: &KeyUse, rule_kind: bool, weight: f64) {
        let Some(setting) = table
            .contributor_insights
            .iter()
            .find(|s| s.enabled && s.index == key.index)
        else {
            return;
        };
        let mut sketches = self.sketches.lock().unwrap_or_else(|p| p.into_inner());
        for rule in Rule::of(&setting.mode, key.item.is_some()) {
            if rule.accessed() != rule_kind {
                continue;
            }
            let shown = match rule {
                Rule::PartitionKeysAccessed | Rule::PartitionKeysThrottled => &key.partition,
                Rule::ItemKeysAccessed | Rule::ItemKeysThrottled => match &key.item {
                    Some(item) => item,
                    None => continue,
                },
            };
            sketches
                .entry((region.to_string(), table.name.clone(), key.index.clone(), rule))
                .or_default()
                .add(shown, weight);
        }
    }

    fn reset(&self, region: &str, table: &str, index: Option<&str>) {
        let mut sketches = self.sketches.lock().unwrap_or_else(|p| p.into_inner());
        sketches.retain(|(r, t, i, _), _| !(r == region && t == table && i.as_deref() == index));
    }

    fn top(&self, region: &str, table: &str, index: Option<&str>, rule: Rule) -> Vec<Contributor> {
        let sketches = self.sketches.lock().unwrap_or_else(|p| p.into_inner());
        sketches
            .get(&(region.to_string(), table.to_string(), index.map(str::to_string), rule))
            .map(Sketch::top)
            .unwrap_or_default()
    }
}

fn status(setting: Option<&InsightsSetting>) -> &'static str {
    match setting {
        Some(s) if s.enabled => "ENABLED",
        _ => "DISABLED",
    }
}

/// CloudWatch rule names as DynamoDB forms them.
fn rule_names(table: &TableMeta, setting: &InsightsSetting) -> Vec<String> {
    let sort_key = setting.index.is_none() && table.range_key.is_some()
        || setting.index.as_ref().is_some_and(|i| {
            table
                .global_secondary_indexes
                .iter()
                .any(|g| &g.name == i && g.range_key.is_some())
        });
    let resource = match &setting.index {
        Some(index) => format!("{}-{index}", table.name),
        None => table.name.clone(),
    };
    let millis = (setting.changed_at * 1000.0) as i64;
    Rule::of(&setting.mode, sort_key)
        .into_iter()
        .map(|rule| format!("DynamoDBContributorInsights-{}-{resource}-{millis}", rule.code()))
        .collect()
}

fn index_not_found(table: &str, index: &str) -> ApiError {
    ApiError::resource_not_found(format!(
        "Requested resource not found: Index: {index} not found for table: {table}"
    ))
}

impl Engine {
    /// Feeds one request's keys into the sketches of tables with insights enabled.
    pub(crate) fn record_contributors(&self, region: &str, metered: &Metered) {
        if metered.keys.is_empty() && metered.throttled.is_empty() {
            return;
        }
        let uses = metered.keys.iter().map(|(k, units)| (k, true, *units));
        let refusals = metered.throttled.iter().map(|k| (k, false, 1.0));
        // A key that spent nothing (its request failed after admission) is no contributor.
        for (key, accessed, weight) in uses.chain(refusals).filter(|(_, _, w)| *w > 0.0) {
            if let Some(table) = self.catalog.get(region, &key.table) {
                if !table.contributor_insights.is_empty() {
                    self.contributor_insights.add(region, &table, key, accessed, weight);
                }
            }
        }
    }

    /// The table (by name or ARN) and, when named, its GSI.
    fn insights_target(
        &self,
        ctx: &RequestContext,
        table: Option<&str>,
        index: Option<&str>,
    ) -> Result<std::sync::Arc<TableMeta>, ApiError> {
        let name = crate::ops::backups::table_name_of(table.unwrap_or_default());
        let table = self.catalog.get(&ctx.region, name).ok_or_else(|| {
            ApiError::resource_not_found(format!("Requested resource not found: Table: {name} not found"))
        })?;
        if let Some(index) = index {
            if !table.global_secondary_indexes.iter().any(|g| g.name == index) {
                return Err(index_not_found(&table.name, index));
            }
        }
        Ok(table)
    }

    pub fn update_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: UpdateContributorInsightsInput,
    ) -> Result<UpdateContributorInsightsOutput, ApiError> {
        let mut c = Constraints::new();
        insights_table_name(&mut c, input.table_name.as_deref());
        if let Some(index) = input.index_name.as_deref() {
            c.index_name(Some(index), "indexName", false);
        }
        match input.contributor_insights_action.as_deref() {
            None => c.violation(None, "contributorInsightsAction", "Member must not be null"),
            action => c.one_of(action, "contributorInsightsAction", ACTIONS),
        }
        c.one_of(
            input.contributor_insights_mode.as_deref(),
            "contributorInsightsMode",
            MODES,
        );
        c.finish()?;
        let enable = input.contributor_insights_action.as_deref() == Some("ENABLE");
        let index = input.index_name.clone();
        let _guard = self.catalog_lock();
        let table = self.insights_target(ctx, input.table_name.as_deref(), index.as_deref())?;
        let mut meta = (*table).clone();
        let current = meta.contributor_insights.iter().position(|s| s.index == index);
        let mode = input
            .contributor_insights_mode
            .clone()
            .or_else(|| current.map(|i| meta.contributor_insights[i].mode.clone()))
            .unwrap_or_else(|| MODES[0].to_string());
        let setting = InsightsSetting {
            index: index.clone(),
            enabled: enable,
            mode: mode.clone(),
            changed_at: self.clock.now_seconds(),
        };
        match current {
            Some(i) => meta.contributor_insights[i] = setting,
            None => meta.contributor_insights.push(setting),
        }
        let mut tx = self.storage.begin().map_err(storage_error)?;
        self.catalog.verify_unchanged(tx.as_mut(), Some(&table), &meta)?;
        persist_meta(tx.as_mut(), &meta).map_err(storage_error)?;
        tx.commit().map_err(storage_error)?;
        self.catalog.cache_put(meta.clone());
        // Enabling starts the counts afresh; disabling forgets them.
        self.contributor_insights
            .reset(&ctx.region, &meta.name, index.as_deref());
        Ok(UpdateContributorInsightsOutput {
            table_name: meta.name,
            index_name: index,
            contributor_insights_status: if enable { "ENABLING" } else { "DISABLING" }.to_string(),
            contributor_insights_mode: Some(mode),
        })
    }

    pub fn describe_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: DescribeContributorInsightsInput,
    ) -> Result<DescribeContributorInsightsOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        insights_table_name(&mut c, input.table_name.as_deref());
        if let Some(index) = input.index_name.as_deref() {
            c.index_name(Some(index), "indexName", false);
        }
        c.finish()?;
        let table = self.insights_target(ctx, input.table_name.as_deref(), input.index_name.as_deref())?;
        let setting = table.contributor_insights.iter().find(|s| s.index == input.index_name);
        Ok(DescribeContributorInsightsOutput {
            table_name: table.name.clone(),
            index_name: input.index_name.clone(),
            contributor_insights_rule_list: Some(
                setting
                    .filter(|s| s.enabled)
                    .map(|s| rule_names(&table, s))
                    .unwrap_or_default(),
            ),
            contributor_insights_status: status(setting).to_string(),
            last_update_date_time: setting.map(|s| s.changed_at),
            contributor_insights_mode: setting.filter(|s| s.enabled).map(|s| s.mode.clone()),
        })
    }

    pub fn list_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: ListContributorInsightsInput,
    ) -> Result<ListContributorInsightsOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        if let Some(name) = input.table_name.as_deref() {
            insights_table_name(&mut c, Some(name));
        }
        if let Some(max) = input.max_results {
            if max > 100 {
                c.violation(
                    Some(&max.to_string()),
                    "maxResults",
                    "Member must have value less than or equal to 100",
                );
            }
        }
        c.finish()?;
        let tables: Vec<std::sync::Arc<TableMeta>> = match input.table_name.as_deref() {
            Some(name) => vec![self.insights_target(ctx, Some(name), None)?],
            None => self
                .catalog
                .names(&ctx.region)
                .iter()
                .filter_map(|name| self.catalog.get(&ctx.region, name))
                .collect(),
        };
        let mut all = Vec::new();
        for table in &tables {
            // The table first, then each GSI, whether or not insights were ever set.
            let targets = std::iter::once(None).chain(table.global_secondary_indexes.iter().map(|g| Some(&g.name)));
            for index in targets {
                let setting = table.contributor_insights.iter().find(|s| s.index.as_ref() == index);
                all.push(ContributorInsightsSummary {
                    table_name: table.name.clone(),
                    index_name: index.cloned(),
                    contributor_insights_status: status(setting).to_string(),
                    contributor_insights_mode: setting.filter(|s| s.enabled).map(|s| s.mode.clone()),
                });
            }
        }
        // In (table, index) order, the table before its indexes; a NextToken names the
        // last entry returned, so tables created or dropped between pages neither
        // repeat nor skip the others.
        let position =
            |s: &ContributorInsightsSummary| (s.table_name.clone(), s.index_name.clone().unwrap_or_default());
        all.sort_by_key(position);
        let start = match input.next_token.as_deref() {
            None => 0,
            Some(token) => {
                let (table, index) = token
                    .split_once('|')
                    .ok_or_else(|| ApiError::validation("Invalid NextToken"))?;
                let after = (table.to_string(), index.to_string());
                all.iter().position(|s| position(s) > after).unwrap_or(all.len())
            }
        };
        let page = match input.max_results {
            Some(n) if n > 0 => n as usize,
            _ => 100,
        };
        let end = (start + page).min(all.len());
        let next_token = (end < all.len()).then(|| {
            let (table, index) = position(&all[end - 1]);
            format!("{table}|{index}")
        });
        Ok(ListContributorInsightsOutput {
            next_token,
            contributor_insights_summaries: all.drain(start..end).collect(),
        })
    }

    /// This server's most accessed and most throttled keys of a table or GSI.
    pub fn contributor_report(
        &self,
        region: &str,
        table: &str,
        index: Option<&str>,
    ) -> Result<InsightsReport, ApiError> {
        let ctx = RequestContext {
            region: region.to_string(),
            ..Default::default()
        };
        let meta = self.insights_target(&ctx, Some(table), index)?;
        let setting = meta
            .contributor_insights
            .iter()
            .find(|s| s.index.as_deref() == index && s.enabled);
        let sort_key = match index {
            None => meta.range_key.is_some(),
            Some(i) => meta
                .global_secondary_indexes
                .iter()
                .any(|g| g.name == i && g.range_key.is_some()),
        };
        let rules = match setting {
            None => Vec::new(),
            Some(s) => Rule::of(&s.mode, sort_key)
                .into_iter()
                .zip(rule_names(&meta, s))
                .map(|(rule, name)| RuleReport {
                    rule: name,
                    contributors: self.contributor_insights.top(region, &meta.name, index, rule),
                })
                .collect(),
        };
        Ok(InsightsReport {
            table: meta.name.clone(),
            index: index.map(str::to_string),
            status: status(setting).to_string(),
            mode: setting.map(|s| s.mode.clone()),
            rules,
        })
    }
}

/// TableName here may also be the table's ARN (up to 1,024 characters).
fn insights_table_name(c: &mut Constraints, name: Option<&str>) {
    match name {
        Some(name) if name.starts_with("arn:") => {
            c.max_length(Some(name), name.len(), "tableName", 1024);
        }
        other => data_plane_table_name(c, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_saving_keeps_the_heavy_keys_within_bounded_memory() {
        let mut sketch = Sketch::default();
        for round in 0..200 {
            sketch.add("hot", 10.0);
            for cold in 0..50 {
                sketch.add(&format!("cold-{round}-{cold}"), 1.0);
            }
        }
        assert!(sketch.counters.len() <= COUNTERS);
        let top = sketch.top();
        assert_eq!(top[0].key, "hot");
        assert!(top[0].value >= 2000.0, "the hot key's count is never understated");
        assert!(top[0].value - top[0].overestimate <= 2000.0);
    }

    #[test]
    fn rules_follow_the_mode_and_the_sort_key() {
        assert_eq!(
            Rule::of("ACCESSED_AND_THROTTLED_KEYS", true),
            vec![
                Rule::PartitionKeysAccessed,
                Rule::PartitionKeysThrottled,
                Rule::ItemKeysAccessed,
                Rule::ItemKeysThrottled
            ]
        );
        assert_eq!(Rule::of("THROTTLED_KEYS", false), vec![Rule::PartitionKeysThrottled]);
    }
}
