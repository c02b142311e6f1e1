//! DynamoDB's reserved words (the developer guide's list, case-insensitive): a bare
//! attribute name in an expression may not be one of them.

/// One word per line, ASCII-sorted upper case.
const WORDS: &str = include_str!("reserved_words.txt");

fn words() -> &'static [&'static str] {
    static LIST: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| WORDS.lines().collect())
}

pub fn is_reserved(name: &str) -> bool {
    name.len() <= 16 && words().binary_search(&name.to_ascii_uppercase().as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_and_lookup_ignores_case() {
        let words: Vec<&str> = WORDS.lines().collect();
        assert!(words.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(words.len(), 573);
        assert!(is_reserved("status") && is_reserved("Name") && is_reserved("COUNT"));
        assert!(!is_reserved("pk") && !is_reserved("mymap"));
    }
}
