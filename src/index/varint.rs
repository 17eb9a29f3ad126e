//! LEB128 variable-length integers and length-prefixed byte strings: the
//! encoding of the hit store and of stored term vectors. Readers take a
//! cursor (`at`) and return `None` on truncated or malformed input, never
//! panic.

pub fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn get(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// Writes `bytes` after its length.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Reads what [`put_bytes`] wrote.
pub fn get_bytes<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(get(bytes, at)?).ok()?;
    let end = at.checked_add(len)?;
    let slice = bytes.get(*at..end)?;
    *at = end;
    Some(slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_truncation() {
        let mut out = Vec::new();
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            put(&mut out, v);
        }
        put_bytes(&mut out, "ｶﾅ".as_bytes());
        let mut at = 0;
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(get(&out, &mut at), Some(v));
        }
        assert_eq!(get_bytes(&out, &mut at), Some("ｶﾅ".as_bytes()));
        assert_eq!(at, out.len());
        assert_eq!(get(&[0x80, 0x80], &mut 0), None);
        assert_eq!(get_bytes(&[5, b'a'], &mut 0), None);
    }
}
