//! `--cache-size`: the embedded store's block cache, from a flag or the machine's memory.

/// The machine's memory in bytes (the smaller of /proc/meminfo's total and a cgroup
/// v2 limit), if it can be read.
fn machine_memory() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
    })?;
    let limit = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    Some(limit.map_or(total, |l| l.min(total)))
}

/// An eighth of the machine's memory, between 64 MB and 1 GB.
pub fn default() -> u64 {
    const MIB: u64 = 1024 * 1024;
    machine_memory().map_or(cairn_storage::DEFAULT_CACHE_BYTES, |m| {
        (m / 8).clamp(64 * MIB, 1024 * MIB)
    })
}

/// A quarter of the machine's memory (the in-memory vector copies' default budget).
pub fn quarter_of_memory() -> u64 {
    machine_memory().map_or(cairn_engine::DEFAULT_VECTOR_MEMORY_BYTES, |m| m / 4)
}

/// `512MB`, `2GB`, `1GiB`, `65536` (bytes) or `10%` (of the machine's memory).
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let invalid = || format!("{text:?} is not a size: use e.g. 256MB, 2GB or 10%");
    if let Some(percent) = text.strip_suffix('%') {
        let percent: f64 = percent.trim().parse().map_err(|_| invalid())?;
        if !(percent > 0.0 && percent <= 100.0) {
            return Err(invalid());
        }
        let memory = machine_memory().ok_or("cannot read the machine's memory for a percentage")?;
        return Ok((memory as f64 * percent / 100.0) as u64);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(invalid()),
    };
    let bytes = number * scale as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sizes_take_units_and_percentages() {
        assert_eq!(parse("65536"), Ok(65536));
        assert_eq!(parse("256MB"), Ok(256 << 20));
        assert_eq!(parse("2gb"), Ok(2 << 30));
        assert_eq!(parse("1.5GiB"), Ok(3 << 29));
        assert!(parse("10%").unwrap() > 0);
        for bad in ["", "MB", "-1MB", "0", "12 parsecs", "0%", "101%", "1e9"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let default = default();
        assert!((64 << 20..=1 << 30).contains(&default), "{default}");
    }
}
