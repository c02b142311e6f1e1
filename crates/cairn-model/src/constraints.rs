//! DynamoDB's model-level constraint checks, reported the way its front end reports
//! them: "N validation error(s) detected: Value '…' at '…' failed to satisfy
//! constraint: …; …". These run before any semantic check of a request.

use crate::error::ApiError;

/// Collects constraint violations for one request.
#[derive(Default)]
pub struct Constraints {
    violations: Vec<String>,
}

impl Constraints {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation; `value` is the value as DynamoDB prints it (None = null).
    pub fn violation(&mut self, value: Option<&str>, path: &str, constraint: &str) {
        let shown = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.violations.push(format!(
            "Value {shown} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Records a violation whose value DynamoDB omits (collections it does not print).
    pub fn violation_without_value(&mut self, path: &str, constraint: &str) {
        self.violations
            .push(format!("Value at '{path}' failed to satisfy constraint: {constraint}"));
    }

    pub fn not_null<T>(&mut self, value: &Option<T>, path: &str) {
        if value.is_none() {
            self.violation(None, path, "Member must not be null");
        }
    }

    /// The table-name rules (length and pattern), as checked for every operation.
    pub fn table_name(&mut self, name: Option<&str>, path: &str) {
        self.name(name, path, true, 3, 255);
    }

    /// Index names follow the same rules as table names.
    pub fn index_name(&mut self, name: Option<&str>, path: &str, required: bool) {
        self.name(name, path, required, 3, 255);
    }

    fn name(&mut self, name: Option<&str>, path: &str, required: bool, min: usize, max: usize) {
        let Some(name) = name else {
            if required {
                self.violation(None, path, "Member must not be null");
            }
            return;
        };
        let len = name.chars().count();
        if len < min {
            self.violation(
                Some(name),
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if len > max {
            self.violation(
                Some(name),
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
        if !name.is_empty()
            && !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            self.violation(
                Some(name),
                path,
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            );
        }
    }

    /// Checks an enum value against its allowed set, printed as DynamoDB prints it.
    pub fn one_of(&mut self, value: Option<&str>, path: &str, allowed: &[&str]) {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                self.violation(
                    Some(v),
                    path,
                    &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
                );
            }
        }
    }

    pub fn min_length(&mut self, value: Option<&str>, len: usize, path: &str, min: usize) {
        if len < min {
            self.violation(
                value,
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
    }

    pub fn max_length(&mut self, value: Option<&str>, len: usize, path: &str, max: usize) {
        if len > max {
            self.violation(
                value,
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn at_least(&mut self, value: i64, path: &str, min: i64) {
        if value < min {
            self.violation(
                Some(&value.to_string()),
                path,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
    }

    pub fn at_most(&mut self, value: i64, path: &str, max: i64) {
        if value > max {
            self.violation(
                Some(&value.to_string()),
                path,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// Ok if nothing was violated, else the combined ValidationException.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.violations.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.violations[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.violations.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_one_and_many_violations_like_dynamodb() {
        let mut c = Constraints::new();
        c.table_name(Some("ab"), "tableName");
        assert_eq!(
            c.finish().unwrap_err().message,
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
        );
        let mut c = Constraints::new();
        c.table_name(None, "tableName");
        c.one_of(Some("X"), "billingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
        let message = c.finish().unwrap_err().message;
        assert!(message.starts_with("2 validation errors detected: Value null at 'tableName'"));
        assert!(message.ends_with("Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"));
    }

    #[test]
    fn table_name_pattern() {
        let mut c = Constraints::new();
        c.table_name(Some("bad table!@#"), "tableName");
        assert!(c.finish().unwrap_err().message.ends_with("pattern: [a-zA-Z0-9_.-]+"));
        let mut c = Constraints::new();
        c.table_name(Some("Good_Name.1-2"), "tableName");
        assert!(c.finish().is_ok());
    }
}
