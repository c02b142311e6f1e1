//! The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator and
//! GetRecords.

use crate::catalog::region_of_arn;
use crate::catalog::TableMeta;
use crate::streams::iterator_key::IteratorKey;
use crate::streams::{
    counter_key, decode_counter, newest_record, newest_record_range, record_key, sequence_of, sequence_text,
    shard_prefix, StreamMeta,
};
use crate::RequestContext;
use crate::{storage_error, Engine};
use cairn_model::constraints::Constraints;
use cairn_model::types::{
    DescribeStreamInput, DescribeStreamOutput, GetRecordsInput, GetRecordsOutput, GetShardIteratorInput,
    GetShardIteratorOutput, KeySchemaElement, ListStreamsInput, ListStreamsOutput, SequenceNumberRange, Shard,
    StreamDescription, StreamSummary,
};
use cairn_model::{ApiError, ErrorKind};
use cairn_storage::ScanRange;
use std::ops::Bound;
use std::sync::Arc;

/// Shard iterators expire after 15 minutes, as DynamoDB's do.
const ITERATOR_LIFETIME_SECONDS: f64 = 900.0;
const MAX_GET_RECORDS: i64 = 1000;
const ITERATOR_TYPES: &[&str] = &["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"];

fn not_found(what: &str) -> ApiError {
    ApiError::resource_not_found(format!("Requested resource not found: {what}"))
}

fn trimmed() -> ApiError {
    ApiError::new(
        ErrorKind::TrimmedDataAccess,
        "The operation attempted to read past the oldest stream record in a shard.",
    )
}

/// Where a shard iterator points: records with sequence > `after` in one shard.
struct Position {
    arn: String,
    shard: u32,
    after: u64,
    issued_at: f64,
}

impl Position {
    fn encode(&self, key: &IteratorKey) -> String {
        key.sign(&format!(
            "{}|{}|{}|{}",
            self.arn, self.shard, self.after, self.issued_at
        ))
    }

    /// The position a genuine iterator names; None for anything this server did not
    /// sign (a forged expiry, ARN or region).
    fn decode(iterator: &str, key: &IteratorKey) -> Option<Position> {
        let text = key.verify(iterator)?;
        let mut parts = text.rsplitn(4, '|');
        let issued_at = parts.next()?.parse().ok()?;
        let after = parts.next()?.parse().ok()?;
        let shard = parts.next()?.parse().ok()?;
        Some(Position {
            arn: parts.next()?.to_string(),
            shard,
            after,
            issued_at,
        })
    }
}

impl Engine {
    /// Shards below this one are closed (no record will be added to them). In one
    /// process that is the shard of the current time (`by_clock`); on a shared store
    /// the shard of the stream's last record, since a server whose clock lags may
    /// still write into the shard this server's clock has left — never below the
    /// counter's shard, which only moves forward.
    fn closing_shard(&self, stream: &StreamMeta, by_clock: u32) -> Result<u32, ApiError> {
        if !self.catalog.is_shared() {
            return Ok(by_clock);
        }
        match self.storage.get(&counter_key(stream.id)).map_err(storage_error)? {
            Some(bytes) => decode_counter(&bytes)
                .map(|(_, shard)| shard)
                .ok_or_else(|| ApiError::internal("a stream sequence counter cannot be decoded")),
            None => Ok(0),
        }
    }

    /// Records of `stream` up to this sequence number are committed or never will
    /// be. In one process that is the sequencer's watermark; on a shared store the
    /// stream's counter, which advances in the same transaction as each record.
    fn visible_upto(&self, stream: &StreamMeta) -> Result<u64, ApiError> {
        if !self.catalog.is_shared() {
            return Ok(self.sequencer.visible_upto());
        }
        match self.storage.get(&counter_key(stream.id)).map_err(storage_error)? {
            Some(bytes) => decode_counter(&bytes)
                .map(|(sequence, _)| sequence)
                .ok_or_else(|| ApiError::internal("a stream sequence counter cannot be decoded")),
            None => Ok(newest_record(
                &self
                    .storage
                    .scan(&newest_record_range(stream.id), 1)
                    .map_err(storage_error)?,
            )
            .0),
        }
    }

    fn shard_interval(&self) -> f64 {
        self.config.stream_shard_interval.as_secs_f64()
    }

    /// The table and stream an ARN names.
    fn stream_by_arn(&self, arn: &str) -> Result<(Arc<TableMeta>, StreamMeta), ApiError> {
        // Anything not shaped like a stream ARN is refused before any lookup.
        let (table_part, label) = arn
            .split_once("/stream/")
            .filter(|(table_part, _)| table_part.starts_with("arn:") && table_part.contains(":table/"))
            .ok_or_else(|| ApiError::validation("Invalid StreamArn"))?;
        let table_name = table_part.rsplit_once(":table/").map(|(_, t)| t).unwrap_or_default();
        let region = region_of_arn(arn).unwrap_or_default();
        let table = self
            .catalog
            .get(region, table_name)
            .ok_or_else(|| not_found(&format!("Stream: {arn} not found")))?;
        // A stream ARN names its region: the same table name elsewhere is another table.
        let stream = table
            .streams
            .iter()
            .find(|s| s.label == label && s.region == region)
            .cloned()
            .ok_or_else(|| not_found(&format!("Stream: {arn} not found")))?;
        Ok((table, stream))
    }

    /// (first, last) sequence numbers stored in a shard.
    fn shard_bounds(&self, stream: &StreamMeta, shard: u32) -> Result<Option<(u64, u64)>, ApiError> {
        let range = ScanRange::prefix(&shard_prefix(stream.id, shard));
        let first = self.storage.scan(&range, 1).map_err(storage_error)?;
        let last = self
            .storage
            .scan(&ScanRange { reverse: true, ..range }, 1)
            .map_err(storage_error)?;
        let visible = self.visible_upto(stream)?;
        Ok(
            match (
                first.first().and_then(|(k, _)| sequence_of(k)),
                last.first().and_then(|(k, _)| sequence_of(k)),
            ) {
                (Some(a), Some(b)) if a <= visible => Some((a, b.min(visible))),
                _ => None,
            },
        )
    }

    pub fn list_streams(&self, ctx: &RequestContext, input: ListStreamsInput) -> Result<ListStreamsOutput, ApiError> {
        self.sync_catalog();
        let mut c = Constraints::new();
        if let Some(limit) = input.limit {
            c.at_least(limit, "limit", 1);
            c.at_most(limit, "limit", 100);
        }
        c.finish()?;
        let mut all = Vec::new();
        for name in self.catalog.names(&ctx.region) {
            if input.table_name.as_ref().is_some_and(|t| *t != name) {
                continue;
            }
            if let Some(table) = self.catalog.get(&ctx.region, &name) {
                for stream in &table.streams {
                    all.push(StreamSummary {
                        stream_arn: stream.arn(&table, &self.config.account_id),
                        table_name: table.name.clone(),
                        stream_label: stream.label.clone(),
                    });
                }
            }
        }
        if let Some(start) = &input.exclusive_start_stream_arn {
            if let Some(i) = all.iter().position(|s| &s.stream_arn == start) {
                all.drain(..=i);
            }
        }
        let limit = input.limit.unwrap_or(100) as usize;
        let more = all.len() > limit;
        all.truncate(limit);
        let last = if more {
            all.last().map(|s| s.stream_arn.clone())
        } else {
            None
        };
        Ok(ListStreamsOutput {
            streams: all,
            last_evaluated_stream_arn: last,
        })
    }

    pub fn describe_stream(&self, input: DescribeStreamInput) -> Result<DescribeStreamOutput, ApiError> {
        self.sync_catalog();
        let arn = input.stream_arn.clone().unwrap_or_default();
        let mut c = Constraints::new();
        c.not_null(&input.stream_arn, "streamArn");
        if let Some(limit) = input.limit {
            c.at_least(limit, "limit", 1);
            c.at_most(limit, "limit", 100);
        }
        if let Some(filter) = &input.shard_filter {
            c.one_of(filter.kind.as_deref(), "shardFilter.type", &["CHILD_SHARDS"]);
            if let Some(id) = filter.shard_id.as_deref() {
                c.min_length(Some(id), id.len(), "shardFilter.shardId", 28);
                c.max_length(Some(id), id.len(), "shardFilter.shardId", 65);
            }
        }
        c.finish()?;
        let (table, stream) = self.stream_by_arn(&arn)?;
        let now = self.clock.now_seconds();
        let current = stream.current_shard(now, self.shard_interval());
        // A shard with no record yet starts after the last sequence number handed out,
        // so every shard has a StartingSequenceNumber, as on DynamoDB.
        let next_sequence = self.visible_upto(&stream)? + 1;
        let closing = self.closing_shard(&stream, current)?;
        let mut shards = Vec::new();
        for index in stream.trimmed_below..=current {
            let closed = index < closing || stream.disabled_at.is_some();
            let bounds = self.shard_bounds(&stream, index)?;
            if bounds.is_none() && closed && index > 0 {
                // Empty closed shards carry nothing to read; DynamoDB drops them too
                // once trimmed. Keep the lineage through the previous listed shard.
                continue;
            }
            shards.push(Shard {
                shard_id: stream.shard_id(index),
                sequence_number_range: SequenceNumberRange {
                    starting_sequence_number: Some(sequence_text(bounds.map_or(next_sequence, |(a, _)| a))),
                    ending_sequence_number: bounds.filter(|_| closed).map(|(_, b)| sequence_text(b)),
                },
                parent_shard_id: None,
            });
        }
        for i in 1..shards.len() {
            shards[i].parent_shard_id = Some(shards[i - 1].shard_id.clone());
        }
        if let Some(parent) = input.shard_filter.as_ref().and_then(|f| f.shard_id.as_ref()) {
            shards.retain(|s| s.parent_shard_id.as_ref() == Some(parent));
        }
        if let Some(start) = &input.exclusive_start_shard_id {
            if let Some(i) = shards.iter().position(|s| &s.shard_id == start) {
                shards.drain(..=i);
            }
        }
        let limit = input.limit.unwrap_or(100) as usize;
        let more = shards.len() > limit;
        shards.truncate(limit);
        let last_evaluated_shard_id = if more {
            shards.last().map(|s| s.shard_id.clone())
        } else {
            None
        };
        let mut key_schema = vec![KeySchemaElement {
            attribute_name: Some(table.hash_key.name.clone()),
            key_type: Some("HASH".into()),
        }];
        if let Some(r) = &table.range_key {
            key_schema.push(KeySchemaElement {
                attribute_name: Some(r.name.clone()),
                key_type: Some("RANGE".into()),
            });
        }
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_arn: arn,
                stream_label: stream.label.clone(),
                stream_status: if stream.disabled_at.is_some() {
                    "DISABLED"
                } else {
                    "ENABLED"
                }
                .to_string(),
                stream_view_type: stream.view_type.clone(),
                creation_request_date_time: stream.created_at,
                table_name: table.name.clone(),
                key_schema,
                shards,
                last_evaluated_shard_id,
            },
        })
    }

    pub fn get_shard_iterator(&self, input: GetShardIteratorInput) -> Result<GetShardIteratorOutput, ApiError> {
        let mut c = Constraints::new();
        c.not_null(&input.stream_arn, "streamArn");
        c.not_null(&input.shard_id, "shardId");
        match input.shard_iterator_type.as_deref() {
            None => c.violation(None, "shardIteratorType", "Member must not be null"),
            t => c.one_of(t, "shardIteratorType", ITERATOR_TYPES),
        }
        c.finish()?;
        let arn = input.stream_arn.clone().unwrap_or_default();
        let (_, stream) = self.stream_by_arn(&arn)?;
        let shard_id = input.shard_id.unwrap_or_default();
        let shard = stream
            .shard_index(&shard_id)
            .filter(|s| *s <= stream.current_shard(self.clock.now_seconds(), self.shard_interval()))
            .ok_or_else(|| not_found("Shard does not exist"))?;
        if shard < stream.trimmed_below {
            return Err(trimmed());
        }
        let sequence = || -> Result<u64, ApiError> {
            input
                .sequence_number
                .as_deref()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| ApiError::validation("Invalid SequenceNumber"))
        };
        let after = match input.shard_iterator_type.as_deref() {
            Some("TRIM_HORIZON") => 0,
            Some("LATEST") => self.visible_upto(&stream)?,
            Some("AT_SEQUENCE_NUMBER") => sequence()?.saturating_sub(1),
            _ => sequence()?,
        };
        let position = Position {
            arn,
            shard,
            after,
            issued_at: self.clock.now_seconds(),
        };
        Ok(GetShardIteratorOutput {
            shard_iterator: position.encode(&self.iterator_key),
        })
    }

    /// The ARN of the stream `arn` resolves to, rebuilt from the stream itself, so a
    /// request is authorized on exactly what it will read.
    pub(crate) fn canonical_stream_arn(&self, arn: &str) -> Option<String> {
        let (table, stream) = self.stream_by_arn(arn).ok()?;
        Some(stream.arn(&table, &self.config.account_id))
    }

    /// The stream a shard iterator reads, if the iterator is one this server issued
    /// (GetRecords is authorized against it).
    pub(crate) fn stream_arn_of_iterator(&self, iterator: &str) -> Option<String> {
        Position::decode(iterator, &self.iterator_key).map(|p| p.arn)
    }

    pub fn get_records(&self, input: GetRecordsInput) -> Result<GetRecordsOutput, ApiError> {
        let mut c = Constraints::new();
        c.not_null(&input.shard_iterator, "shardIterator");
        if let Some(iterator) = input.shard_iterator.as_deref() {
            c.min_length(Some(iterator), iterator.chars().count(), "shardIterator", 1);
            c.max_length(Some(iterator), iterator.chars().count(), "shardIterator", 2048);
        }
        if let Some(limit) = input.limit {
            c.at_least(limit, "limit", 1);
            c.at_most(limit, "limit", MAX_GET_RECORDS);
        }
        c.finish()?;
        let iterator = input.shard_iterator.unwrap_or_default();
        let position = Position::decode(&iterator, &self.iterator_key)
            .ok_or_else(|| ApiError::validation("Invalid ShardIterator"))?;
        let now = self.clock.now_seconds();
        if now - position.issued_at > ITERATOR_LIFETIME_SECONDS {
            return Err(ApiError::new(
                ErrorKind::ExpiredIterator,
                "Iterator expired. The iterator was created more than 15 minutes ago.",
            ));
        }
        let (_, stream) = self.stream_by_arn(&position.arn)?;
        if position.shard < stream.trimmed_below {
            return Err(trimmed());
        }
        let visible = self.visible_upto(&stream)?;
        let range = ScanRange {
            start: Bound::Excluded(record_key(stream.id, position.shard, position.after)),
            end: Bound::Included(record_key(stream.id, position.shard, visible)),
            reverse: false,
        };
        let limit = input.limit.unwrap_or(MAX_GET_RECORDS) as usize;
        let pairs = if position.after >= visible {
            Vec::new()
        } else {
            self.storage.scan(&range, limit).map_err(storage_error)?
        };
        let mut records = Vec::with_capacity(pairs.len());
        let mut after = position.after;
        for (key, value) in &pairs {
            after = sequence_of(key).unwrap_or(after);
            let text =
                String::from_utf8(value.clone()).map_err(|_| ApiError::internal("stored stream record is corrupt"))?;
            let record = serde_json::value::RawValue::from_string(text)
                .map_err(|_| ApiError::internal("stored stream record is corrupt"))?;
            records.push(record);
        }
        // A disabled stream's last shard is closed too: once read to its end, its
        // iterator ends.
        let closing = self.closing_shard(&stream, stream.current_shard(now, self.shard_interval()))?;
        let closed = position.shard < closing || stream.disabled_at.is_some();
        let exhausted = pairs.len() < limit;
        let next = if closed
            && exhausted
            && self
                .shard_bounds(&stream, position.shard)?
                .is_none_or(|(_, last)| after >= last)
        {
            None
        } else {
            Some(
                Position {
                    arn: position.arn,
                    shard: position.shard,
                    after,
                    issued_at: now,
                }
                .encode(&self.iterator_key),
            )
        };
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator: next,
        })
    }
}
