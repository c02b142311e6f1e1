//! The two timestamp forms SigV4 uses (`20150830T123600Z` and RFC 3339) and the
//! civil-calendar arithmetic behind them, in UTC seconds since the Unix epoch.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn from_parts(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second < 61;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses SigV4's basic ISO 8601 form, `YYYYMMDDTHHMMSSZ`.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    if text.len() != 16 || !text.is_ascii() || &text[8..9] != "T" || &text[15..] != "Z" {
        return None;
    }
    from_parts(
        i64::from(digits(&text[0..4])?),
        digits(&text[4..6])?,
        digits(&text[6..8])?,
        digits(&text[9..11])?,
        digits(&text[11..13])?,
        digits(&text[13..15])?,
    )
}

/// Formats seconds since the epoch as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Parses an RFC 3339 timestamp in UTC or with an offset (`2026-12-06T10:00:00Z`,
/// `2026-12-06T10:00:00.5+01:00`); fractions of a second are dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() < 20 || !text.is_ascii() {
        return None;
    }
    let (date, time) = (&text[..10], &text[11..]);
    if !matches!(&text[10..11], "T" | "t" | " ") || &date[4..5] != "-" || &date[7..8] != "-" {
        return None;
    }
    if &time[2..3] != ":" || &time[5..6] != ":" {
        return None;
    }
    let base = from_parts(
        i64::from(digits(&date[0..4])?),
        digits(&date[5..7])?,
        digits(&date[8..10])?,
        digits(&time[0..2])?,
        digits(&time[3..5])?,
        digits(&time[6..8])?,
    )?;
    let mut zone = &time[8..];
    if let Some(fraction) = zone.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        zone = &fraction[end..];
    }
    match zone {
        "Z" | "z" => Some(base),
        _ if zone.len() == 6 && &zone[3..4] == ":" => {
            let sign = match &zone[..1] {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let offset = i64::from(digits(&zone[1..3])? * 3600 + digits(&zone[4..6])? * 60);
            Some(base - sign * offset)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
    }

    #[test]
    fn malformed_amz_dates_are_refused() {
        for bad in [
            "",
            "20150830T123600",
            "2015083XT123600Z",
            "20151330T123600Z",
            "20150830T253600Z",
            "２0150830T12360Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_with_offsets_and_fractions() {
        assert_eq!(parse_rfc3339("2015-08-30T12:36:00Z"), Some(1_440_938_160));
        assert_eq!(parse_rfc3339("2015-08-30T14:36:00.250+02:00"), Some(1_440_938_160));
        assert_eq!(parse_rfc3339("2015-08-30T12:36:00"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
