//! RecordIO, the framing of the scheduler API's event stream: any bytes, cut anywhere, never make
//! the decoder panic, and framed records come back whole and in order however the stream is cut.

use corral_wire::mesos::recordio::{encode, Decoder};
use proptest::prelude::*;

/// `stream` cut before each offset in `cuts` (taken modulo its length, so any list of numbers is a
/// valid cutting).
fn pieces(stream: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut offsets: Vec<usize> = cuts.iter().map(|cut| cut % (stream.len() + 1)).collect();
    offsets.extend([0, stream.len()]);
    offsets.sort_unstable();
    offsets.windows(2).map(|pair| stream[pair[0]..pair[1]].to_vec()).collect()
}

/// A byte stream that often looks like RecordIO: length prefixes (including lengths near
/// `usize::MAX`), newlines, digits and arbitrary bytes.
fn stream_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let length = prop_oneof![0usize..64, any::<usize>(), (0usize..64).prop_map(|below| usize::MAX - below),];
    let token = prop_oneof![
        length.prop_map(|n| format!("{n}\n").into_bytes()),
        Just(b"\n".to_vec()),
        " \t+-0123456789".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(token, 0..12).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(crate::cases(1024))]

    #[test]
    fn arbitrary_bytes_cut_anywhere_never_panic(
        stream in prop_oneof![prop::collection::vec(any::<u8>(), 0..256), stream_like_bytes()],
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut decoder = Decoder::new();
        for piece in pieces(&stream, &cuts) {
            // An error is a fine answer; what matters is that there is an answer.
            let _ = decoder.feed(&piece);
        }
    }

    #[test]
    fn framed_records_come_back_whole_however_the_stream_is_cut(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let stream: Vec<u8> = records.iter().flat_map(|record| encode(record)).collect();
        let mut decoder = Decoder::new();
        let mut decoded = Vec::new();
        for piece in pieces(&stream, &cuts) {
            decoded.extend(decoder.feed(&piece).expect("a framed stream decodes"));
        }
        prop_assert_eq!(decoded, records);
    }

    #[test]
    fn a_record_is_not_returned_before_its_last_byte_arrives(
        record in prop::collection::vec(any::<u8>(), 1..64),
        missing in 1usize..64,
    ) {
        let framed = encode(&record);
        let missing = missing.min(record.len());
        let mut decoder = Decoder::new();
        prop_assert!(decoder.feed(&framed[..framed.len() - missing]).unwrap().is_empty());
        prop_assert_eq!(decoder.feed(&framed[framed.len() - missing..]).unwrap(), vec![record]);
    }
}

/// Found by the properties above (an overflow before the fix): a length prefix of `usize::MAX`.
#[test]
fn a_length_near_usize_max_waits_for_its_record_instead_of_overflowing() {
    let mut decoder = Decoder::new();
    assert_eq!(decoder.feed(format!("{}\n", usize::MAX).as_bytes()), Ok(Vec::new()));
    assert_eq!(decoder.feed(b"more"), Ok(Vec::new()));
}
