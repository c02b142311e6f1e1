//! One module per DynamoDB operation, plus the checks they share.

pub(crate) mod common;
pub(crate) mod conditions;
pub(crate) mod key_condition;
pub(crate) mod legacy;
mod partiql_results;
mod partiql_select;
pub(crate) mod read_options;

pub mod account;
pub mod backups;
pub mod batch_get_item;
pub mod batch_write_item;
pub mod continuous_backups;
pub mod create_table;
pub mod delete_item;
pub mod delete_table;
pub mod describe_table;
pub mod get_item;
pub mod list_tables;
pub mod partiql;
pub mod put_item;
pub mod query;
pub mod resource_policy;
pub mod scan;
pub mod streams_api;
pub mod tags;
pub mod time_to_live;
pub mod transact_get_items;
pub mod transact_write_items;
pub mod update_item;
pub mod update_table;
pub(crate) mod update_table_indexes;
