//! The few DER encodings we write by hand: certificate extension values
//! (so their bytes are exactly Go's) and SEC1 EC keys (so the key file is
//! exactly Go's `MarshalECPrivateKey`), plus a reader just strong enough to
//! take the PKCS#1 key out of a PKCS#8 wrapper.

pub(crate) const TAG_BOOLEAN: u8 = 0x01;
pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// A definite-length DER length field.
fn length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

/// One tag-length-value.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(length(content.len()));
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
pub(crate) fn sequence(elements: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &elements.concat())
}

/// A BIT STRING with `unused` padding bits in the last byte.
pub(crate) fn bit_string(unused: u8, bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![unused];
    content.extend_from_slice(bytes);
    tlv(TAG_BIT_STRING, &content)
}

/// A context-specific EXPLICIT (constructed) tag around an encoded element.
pub(crate) fn explicit(number: u8, inner: &[u8]) -> Vec<u8> {
    tlv(0xa0 | number, inner)
}

/// Splits the first TLV off `input`: `(tag, content, rest)`. Only the forms
/// DER allows (single-byte tags, minimal definite lengths up to 4 bytes).
pub(crate) fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The private key OCTET STRING of a PKCS#8 `PrivateKeyInfo`
/// (for RSA: the PKCS#1 `RSAPrivateKey`).
pub(crate) fn pkcs8_inner_key(pkcs8: &[u8]) -> Option<&[u8]> {
    let (tag, body, _) = read_tlv(pkcs8)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (version_tag, _, rest) = read_tlv(body)?;
    let (alg_tag, _, rest) = read_tlv(rest)?;
    let (key_tag, key, _) = read_tlv(rest)?;
    (version_tag == TAG_INTEGER && alg_tag == TAG_SEQUENCE && key_tag == TAG_OCTET_STRING)
        .then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        assert_eq!(tlv(TAG_OCTET_STRING, &[1, 2]), vec![4, 2, 1, 2]);
        assert_eq!(&tlv(TAG_OCTET_STRING, &[0; 200])[..3], &[4, 0x81, 200]);
        assert_eq!(&tlv(TAG_OCTET_STRING, &[0; 300])[..4], &[4, 0x82, 1, 44]);
    }

    #[test]
    fn reads_back_what_it_writes() {
        let enc = sequence(&[
            tlv(TAG_INTEGER, &[0]),
            sequence(&[]),
            tlv(TAG_OCTET_STRING, &[9; 130]),
        ]);
        assert_eq!(pkcs8_inner_key(&enc), Some(&[9u8; 130][..]));
        assert_eq!(read_tlv(&[0x30, 0x85, 0, 0, 0, 0, 0]), None);
        assert_eq!(read_tlv(&[0x30, 0x05, 0]), None);
    }
}
