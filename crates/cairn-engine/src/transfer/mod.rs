//! Moving data in and out of tables through objects: ExportTableToPointInTime,
//! ImportTable and the bulk operations, over an S3 stand-in (`objects`).

pub mod bulk;
pub mod export;
pub mod formats;
pub mod import;
pub mod ion;
pub mod objects;
