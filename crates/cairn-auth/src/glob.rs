//! IAM's wildcard matching: `*` matches any run of characters (including none), `?`
//! exactly one; everything else is literal. Linear-time with single-star backtracking,
//! so no pattern can make matching slow.

pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn stars_and_question_marks() {
        assert!(glob_matches("dynamodb:get*", "dynamodb:getitem"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
        assert!(glob_matches("table/?ooks", "table/Books"));
        assert!(!glob_matches("table/?ooks", "table/ooks"));
        assert!(glob_matches(
            "arn:aws:dynamodb:*:*:table/Books/index/*",
            "arn:aws:dynamodb:us-east-1:1:table/Books/index/ByAuthor"
        ));
        assert!(!glob_matches(
            "arn:aws:dynamodb:*:*:table/Books",
            "arn:aws:dynamodb:us-east-1:1:table/Books/index/ByAuthor"
        ));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(200) + "b";
        let text = "a".repeat(5000);
        assert!(!glob_matches(&pattern, &text));
    }
}
