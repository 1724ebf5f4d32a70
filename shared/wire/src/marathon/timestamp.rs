//! Marathon's timestamps: ISO-8601 in UTC with milliseconds (`2015-09-17T09:32:36.583Z`), held as
//! milliseconds since the Unix epoch.
//!
//! App versions, task start times and event times all use this form. We always write three digits of
//! milliseconds and a `Z`; we read any number of fraction digits (truncated to milliseconds) and any
//! UTC offset (`Z`, `+02:00`, `-0530`), converting to UTC. The calendar arithmetic is Howard Hinnant's
//! `days_from_civil` / `civil_from_days` (proleptic Gregorian), so no date library is needed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A point in time with millisecond precision; orders by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(millis_since_epoch: i64) -> Timestamp {
        Timestamp(millis_since_epoch)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }
}

/// Why a text is not a Marathon timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampParseError {
    pub text: String,
}

impl fmt::Display for TimestampParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not an ISO-8601 date-time such as 2015-09-17T09:32:36.583Z", self.text)
    }
}

impl std::error::Error for TimestampParseError {}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MILLIS_PER_DAY);
        let in_day = self.0.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
        let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;

    fn from_str(text: &str) -> Result<Timestamp, TimestampParseError> {
        parse(text).ok_or_else(|| TimestampParseError { text: text.to_string() })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`.
fn parse(text: &str) -> Option<Timestamp> {
    let mut cursor = Cursor { bytes: text.as_bytes(), at: 0 };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    cursor.expect_either(b'T', b't')?;
    let hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    cursor.expect(b':')?;
    let second = cursor.digits(2)?;
    let millis = if cursor.peek() == Some(b'.') { cursor.fraction_as_millis()? } else { 0 };
    let offset_minutes = cursor.utc_offset_minutes()?;
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
        && cursor.at == cursor.bytes.len();
    if !valid {
        return None;
    }
    let seconds_in_day = hour * 3600 + minute * 60 + second;
    let utc_millis =
        days_from_civil(year, month, day) * MILLIS_PER_DAY + seconds_in_day * 1000 + millis - offset_minutes * 60_000;
    // An offset can move the instant out of years 0000-9999, which are all that is written back.
    let writable = days_from_civil(0, 1, 1) * MILLIS_PER_DAY..days_from_civil(10_000, 1, 1) * MILLIS_PER_DAY;
    writable.contains(&utc_millis).then_some(Timestamp(utc_millis))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        self.expect_either(wanted, wanted)
    }

    fn expect_either(&mut self, one: u8, other: u8) -> Option<()> {
        self.peek().filter(|b| *b == one || *b == other)?;
        self.at += 1;
        Some(())
    }

    fn digits(&mut self, count: usize) -> Option<i64> {
        let slice = self.bytes.get(self.at..self.at + count)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += count;
        Some(slice.iter().fold(0, |value, digit| value * 10 + i64::from(digit - b'0')))
    }

    /// After a `.`: one or more digits, of which the first three count.
    fn fraction_as_millis(&mut self) -> Option<i64> {
        self.at += 1;
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = &self.bytes[start..self.at];
        if digits.is_empty() {
            return None;
        }
        Some((0..3).fold(0, |millis, i| millis * 10 + digits.get(i).map_or(0, |d| i64::from(d - b'0'))))
    }

    fn utc_offset_minutes(&mut self) -> Option<i64> {
        let sign = match self.peek()? {
            b'Z' | b'z' => {
                self.at += 1;
                return Some(0);
            }
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.at += 1;
        let hours = self.digits(2)?;
        if self.peek() == Some(b':') {
            self.at += 1;
        }
        let minutes = self.digits(2)?;
        (hours < 24 && minutes < 60).then_some(sign * (hours * 60 + minutes))
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month, day) `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Formatting `millis` gives `text`, and parsing `text` gives `millis` back.
    fn check(millis: i64, text: &str) {
        assert_eq!(Timestamp::from_millis(millis).to_string(), text, "formatting {millis}");
        assert_eq!(text.parse::<Timestamp>(), Ok(Timestamp::from_millis(millis)), "parsing {text}");
    }

    #[test]
    fn formats_and_parses_both_ways() {
        check(0, "1970-01-01T00:00:00.000Z");
        check(1_442_482_356_583, "2015-09-17T09:32:36.583Z");
        check(-1, "1969-12-31T23:59:59.999Z");
        check(951_782_400_000, "2000-02-29T00:00:00.000Z"); // divisible by 400: a leap year
        check(951_868_799_999, "2000-02-29T23:59:59.999Z");
        check(951_868_800_000, "2000-03-01T00:00:00.000Z");
        check(1_709_164_800_000, "2024-02-29T00:00:00.000Z");
        check(1_709_251_200_000, "2024-03-01T00:00:00.000Z");
        check(4_107_456_000_000, "2100-02-28T00:00:00.000Z"); // divisible by 100: not a leap year
        check(4_107_542_400_000, "2100-03-01T00:00:00.000Z");
        check(1_704_067_199_999, "2023-12-31T23:59:59.999Z");
        check(253_402_300_799_999, "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        for day in -200_000..200_000 {
            let (year, month, date) = civil_from_days(day);
            assert_eq!(days_from_civil(year, month, date), day);
            assert!((1..=days_in_month(year, month)).contains(&date));
        }
    }

    /// Other spellings Marathon or its clients may send, read as the instant `millis`.
    fn check_reads(text: &str, millis: i64) {
        assert_eq!(text.parse::<Timestamp>(), Ok(Timestamp::from_millis(millis)), "parsing {text}");
    }

    #[test]
    fn reads_other_fractions_and_offsets() {
        check_reads("2015-09-17T09:32:36Z", 1_442_482_356_000);
        check_reads("2015-09-17T09:32:36.5Z", 1_442_482_356_500);
        check_reads("2015-09-17T09:32:36.583123456Z", 1_442_482_356_583);
        check_reads("2015-09-17T11:32:36.583+02:00", 1_442_482_356_583);
        check_reads("2015-09-17T04:02:36.583-0530", 1_442_482_356_583);
        check_reads("2015-09-17t09:32:36.583z", 1_442_482_356_583);
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for text in [
            "",
            "2015-09-17",
            "2015-09-17 09:32:36Z",
            "2015-13-01T00:00:00Z",
            "2015-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2015-09-17T24:00:00Z",
            "2015-09-17T09:60:00Z",
            "2015-09-17T09:32:36",
            "2015-09-17T09:32:36.Z",
            "2015-09-17T09:32:36.583Zjunk",
            "2015-09-17T09:32:36+2:00",
        ] {
            assert!(text.parse::<Timestamp>().is_err(), "{text:?} should not parse");
        }
    }

    #[test]
    fn serializes_as_a_json_string() {
        let stamp = Timestamp::from_millis(1_442_482_356_583);
        assert_eq!(serde_json::to_string(&stamp).unwrap(), r#""2015-09-17T09:32:36.583Z""#);
        assert_eq!(serde_json::from_str::<Timestamp>(r#""2015-09-17T09:32:36.583Z""#).unwrap(), stamp);
        assert!(serde_json::from_str::<Timestamp>(r#""yesterday""#).is_err());
    }
}
