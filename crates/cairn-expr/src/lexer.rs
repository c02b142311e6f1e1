//! Tokens shared by every DynamoDB expression language, and DynamoDB's syntax-error
//! message ("Syntax error; token: \"x\", near: \"a x b\"").

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare attribute name or keyword: letters, digits and underscores, not
    /// starting with a digit.
    Identifier,
    /// `#name`
    NamePlaceholder,
    /// `:value`
    ValuePlaceholder,
    /// An unsigned integer (list indexes).
    Integer,
    Dot,
    Comma,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Plus,
    Minus,
    /// Any character no rule accepts; always a syntax error where it appears.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits an expression into tokens. Never fails: characters that start no token
/// become `Invalid` tokens, reported by the parser with their position.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(p, _)| p);
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = |kind| (kind, i + 1);
        let (kind, next) = match c {
            '.' => single(TokenKind::Dot),
            ',' => single(TokenKind::Comma),
            '(' => single(TokenKind::LeftParen),
            ')' => single(TokenKind::RightParen),
            '[' => single(TokenKind::LeftBracket),
            ']' => single(TokenKind::RightBracket),
            '=' => single(TokenKind::Equal),
            '+' => single(TokenKind::Plus),
            '-' => single(TokenKind::Minus),
            '<' => match chars.get(i + 1).map(|&(_, c)| c) {
                Some('=') => (TokenKind::LessEqual, i + 2),
                Some('>') => (TokenKind::NotEqual, i + 2),
                _ => single(TokenKind::Less),
            },
            '>' => match chars.get(i + 1).map(|&(_, c)| c) {
                Some('=') => (TokenKind::GreaterEqual, i + 2),
                _ => single(TokenKind::Greater),
            },
            '#' | ':' => {
                let mut j = i + 1;
                while j < chars.len() && is_name_char(chars[j].1) {
                    j += 1;
                }
                if j == i + 1 {
                    single(TokenKind::Invalid)
                } else if c == '#' {
                    (TokenKind::NamePlaceholder, j)
                } else {
                    (TokenKind::ValuePlaceholder, j)
                }
            }
            c if c.is_ascii_digit() => {
                let mut j = i + 1;
                while j < chars.len() && chars[j].1.is_ascii_digit() {
                    j += 1;
                }
                (TokenKind::Integer, j)
            }
            c if is_name_char(c) => {
                let mut j = i + 1;
                while j < chars.len() && is_name_char(chars[j].1) {
                    j += 1;
                }
                (TokenKind::Identifier, j)
            }
            _ => single(TokenKind::Invalid),
        };
        tokens.push(Token {
            kind,
            start,
            end: end_of(next),
        });
        i = next;
    }
    tokens
}

/// DynamoDB's syntax error text for the token at `index` (or end of input): the
/// token, and "near" the span from the previous token to the next one.
pub fn syntax_error_detail(text: &str, tokens: &[Token], index: usize) -> String {
    let Some(token) = tokens.get(index) else {
        let near_start = tokens.last().map_or(0, |t| {
            tokens
                .len()
                .checked_sub(2)
                .and_then(|i| tokens.get(i))
                .map_or(t.start, |p| p.start)
        });
        return format!("Syntax error; token: <EOF>, near: \"{}\"", &text[near_start..]);
    };
    let near_start = index
        .checked_sub(1)
        .and_then(|i| tokens.get(i))
        .map_or(token.start, |t| t.start);
    let near_end = tokens.get(index + 1).map_or(token.end, |t| t.end);
    format!(
        "Syntax error; token: \"{}\", near: \"{}\"",
        &text[token.start..token.end],
        &text[near_start..near_end]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_spans_previous_and_next_token() {
        let text = "!!";
        let tokens = tokenize(text);
        assert_eq!(
            syntax_error_detail(text, &tokens, 0),
            "Syntax error; token: \"!\", near: \"!!\""
        );
        let text = "a, b c";
        let tokens = tokenize(text);
        assert_eq!(
            syntax_error_detail(text, &tokens, 3),
            "Syntax error; token: \"c\", near: \"b c\""
        );
        assert_eq!(
            syntax_error_detail(text, &tokens, 4),
            "Syntax error; token: <EOF>, near: \"b c\""
        );
    }

    #[test]
    fn operators_and_placeholders() {
        let kinds: Vec<_> = tokenize("#a.b[10] <> :v").iter().map(|t| t.kind).collect();
        use TokenKind::*;
        assert_eq!(
            kinds,
            vec![
                NamePlaceholder,
                Dot,
                Identifier,
                LeftBracket,
                Integer,
                RightBracket,
                NotEqual,
                ValuePlaceholder
            ]
        );
    }
}
