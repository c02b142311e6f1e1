//! The one wire error. Only the server turns it into bytes.

use std::fmt;

/// DynamoDB's error kinds, named as DynamoDB names them on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    Serialization,
    UnknownOperation,
    MissingAuthenticationToken,
    ResourceNotFound,
    /// Backup operations name a missing table with their own kind.
    TableNotFound,
    ResourceInUse,
    ConditionalCheckFailed,
    LimitExceeded,
    ItemCollectionSizeLimitExceeded,
    TransactionCanceled,
    AccessDenied,
    DuplicateItem,
    ExpiredIterator,
    TrimmedDataAccess,
    TransactionInProgress,
    IdempotentParameterMismatch,
    ProvisionedThroughputExceeded,
    RequestLimitExceeded,
    TransactionConflict,
    InternalServerError,
    ServiceUnavailable,
    /// The front end gave up waiting for the request (a client that stalls).
    RequestTimeout,
    /// The request body is larger than the front end accepts.
    RequestEntityTooLarge,
    /// SigV4: an access key nobody holds, or a bad session token.
    UnrecognizedClient,
    /// SigV4: the signature does not match, is outside the clock-skew window, or its
    /// credential scope is wrong.
    InvalidSignature,
    /// SigV4: the Authorization header lacks a part.
    IncompleteSignature,
    /// Temporary credentials past their expiry.
    ExpiredToken,
    /// A table or stream without a resource-based policy (or not the revision expected).
    PolicyNotFound,
    BackupNotFound,
    BackupInUse,
    TableAlreadyExists,
    TableInUse,
    ContinuousBackupsUnavailable,
    PointInTimeRecoveryUnavailable,
    InvalidRestoreTime,
    ExportNotFound,
    ExportConflict,
    InvalidExportTime,
    ImportNotFound,
    ImportConflict,
    /// Throttled beyond an on-demand maximum (or an account limit).
    Throttling,
}

impl ErrorKind {
    /// The `__type` suffix DynamoDB sends.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::TableNotFound => "TableNotFoundException",
            ErrorKind::ResourceInUse => "ResourceInUseException",
            ErrorKind::ConditionalCheckFailed => "ConditionalCheckFailedException",
            ErrorKind::LimitExceeded => "LimitExceededException",
            ErrorKind::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceededException",
            ErrorKind::TransactionCanceled => "TransactionCanceledException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::DuplicateItem => "DuplicateItemException",
            ErrorKind::ExpiredIterator => "ExpiredIteratorException",
            ErrorKind::TrimmedDataAccess => "TrimmedDataAccessException",
            ErrorKind::TransactionInProgress => "TransactionInProgressException",
            ErrorKind::IdempotentParameterMismatch => "IdempotentParameterMismatchException",
            ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            ErrorKind::RequestLimitExceeded => "RequestLimitExceeded",
            ErrorKind::TransactionConflict => "TransactionConflictException",
            ErrorKind::InternalServerError => "InternalServerError",
            ErrorKind::ServiceUnavailable => "ServiceUnavailableException",
            ErrorKind::RequestTimeout => "RequestTimeoutException",
            ErrorKind::RequestEntityTooLarge => "RequestEntityTooLargeException",
            ErrorKind::UnrecognizedClient => "UnrecognizedClientException",
            ErrorKind::InvalidSignature => "InvalidSignatureException",
            ErrorKind::IncompleteSignature => "IncompleteSignatureException",
            ErrorKind::ExpiredToken => "ExpiredTokenException",
            ErrorKind::PolicyNotFound => "PolicyNotFoundException",
            ErrorKind::BackupNotFound => "BackupNotFoundException",
            ErrorKind::BackupInUse => "BackupInUseException",
            ErrorKind::TableAlreadyExists => "TableAlreadyExistsException",
            ErrorKind::TableInUse => "TableInUseException",
            ErrorKind::ContinuousBackupsUnavailable => "ContinuousBackupsUnavailableException",
            ErrorKind::PointInTimeRecoveryUnavailable => "PointInTimeRecoveryUnavailableException",
            ErrorKind::InvalidRestoreTime => "InvalidRestoreTimeException",
            ErrorKind::ExportNotFound => "ExportNotFoundException",
            ErrorKind::ExportConflict => "ExportConflictException",
            ErrorKind::InvalidExportTime => "InvalidExportTimeException",
            ErrorKind::ImportNotFound => "ImportNotFoundException",
            ErrorKind::ImportConflict => "ImportConflictException",
            ErrorKind::Throttling => "ThrottlingException",
        }
    }

    /// The `__type` namespace: a few kinds come from the AWS front end, not DynamoDB.
    pub fn namespace(self) -> &'static str {
        match self {
            ErrorKind::Serialization
            | ErrorKind::UnknownOperation
            | ErrorKind::MissingAuthenticationToken
            | ErrorKind::RequestTimeout
            | ErrorKind::RequestEntityTooLarge
            | ErrorKind::AccessDenied
            | ErrorKind::UnrecognizedClient
            | ErrorKind::InvalidSignature
            | ErrorKind::IncompleteSignature
            | ErrorKind::ExpiredToken => "com.amazon.coral.service",
            ErrorKind::Validation => "com.amazon.coral.validate",
            _ => "com.amazonaws.dynamodb.v20120810",
        }
    }

    /// The body member carrying the message: the AWS front end's AccessDeniedException
    /// spells it `Message`; everything else `message`.
    pub fn message_field(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "Message",
            _ => "message",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InternalServerError => 500,
            ErrorKind::ServiceUnavailable => 503,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::RequestEntityTooLarge => 413,
            _ => 400,
        }
    }
}

/// An error answered to the client: a kind and DynamoDB's message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// Extra members of the error body, as (name, JSON text): the `Item` of a failed
    /// condition that asked for it, a transaction's `CancellationReasons`.
    pub extra: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            extra: Vec::new(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    /// "One or more parameter values were invalid: ..." — DynamoDB's prefix for semantic
    /// validation failures inside a well-formed request.
    pub fn invalid_parameter(detail: impl fmt::Display) -> Self {
        Self::validation(format!("One or more parameter values were invalid: {detail}"))
    }
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }
    /// The message DynamoDB gives for a data-plane request on a table that does not exist.
    pub fn table_not_found() -> Self {
        Self::resource_not_found("Requested resource not found")
    }
    pub fn resource_in_use(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceInUse, message)
    }
    pub fn conditional_check_failed() -> Self {
        Self::new(ErrorKind::ConditionalCheckFailed, "The conditional request failed")
    }
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalServerError, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServiceUnavailable, message)
    }
    pub fn unknown_operation() -> Self {
        Self::new(ErrorKind::UnknownOperation, "")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;
