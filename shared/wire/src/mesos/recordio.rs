//! RecordIO, the framing of the scheduler API's event stream: each record is its length in
//! bytes as decimal ASCII, a newline, then the record. Chunk boundaries need not match records.

/// Frames one record.
pub fn encode(record: &[u8]) -> Vec<u8> {
    let mut framed = format!("{}\n", record.len()).into_bytes();
    framed.extend_from_slice(record);
    framed
}

/// A malformed length prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordIoError(pub String);

/// Splits a byte stream, fed in arbitrary pieces, back into records.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

impl Decoder {
    /// The longest length prefix accepted (a length needs at most 20 digits).
    const MAX_PREFIX: usize = 20;

    pub fn new() -> Self {
        Decoder::default()
    }

    /// Appends `bytes` and returns every record now complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, RecordIoError> {
        self.buffer.extend_from_slice(bytes);
        let mut records = Vec::new();
        let mut start = 0;
        loop {
            let rest = &self.buffer[start..];
            let Some(newline) = rest.iter().position(|b| *b == b'\n') else {
                if rest.len() > Self::MAX_PREFIX {
                    return Err(RecordIoError("a record length prefix is too long".into()));
                }
                break;
            };
            let prefix = std::str::from_utf8(&rest[..newline]).ok().and_then(|text| text.trim().parse::<usize>().ok());
            let Some(length) = prefix else {
                return Err(RecordIoError(format!(
                    "`{}` is not a record length",
                    String::from_utf8_lossy(&rest[..newline])
                )));
            };
            if rest.len() - (newline + 1) < length {
                break;
            }
            records.push(rest[newline + 1..newline + 1 + length].to_vec());
            start += newline + 1 + length;
        }
        self.buffer.drain(..start);
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_any_chunking() {
        let records: Vec<&[u8]> = vec![b"{\"type\":\"HEARTBEAT\"}", b"", b"x\ny"];
        let stream: Vec<u8> = records.iter().flat_map(|r| encode(r)).collect();
        for chunk in 1..stream.len() {
            let mut decoder = Decoder::new();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                got.extend(decoder.feed(piece).unwrap());
            }
            assert_eq!(got, records.iter().map(|r| r.to_vec()).collect::<Vec<_>>(), "chunk {chunk}");
        }
    }

    #[test]
    fn a_bad_prefix_is_an_error() {
        assert!(Decoder::new().feed(b"abc\n{}").is_err());
        assert!(Decoder::new().feed(&[b'1'; 30]).is_err());
    }
}
