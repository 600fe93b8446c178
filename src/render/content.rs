//! A file's bytes, kept in the blocks they were written in.

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

/// A file's bytes as a list of blocks. A large CSV is written by several
/// threads a block at a time and never copied into one buffer: that copy
/// held the file twice at the report's peak, on freshly mapped pages.
#[derive(Debug, Clone, Default)]
pub struct Content {
    blocks: Vec<Bytes>,
    len: usize,
}

impl Content {
    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[Bytes] {
        &self.blocks
    }

    /// The bytes in `range` as one buffer: shared when a single block
    /// holds them, copied otherwise. `range` is clamped to the content.
    pub fn slice(&self, range: Range<usize>) -> Bytes {
        let (start, end) = (range.start.min(self.len), range.end.min(self.len));
        let mut pieces = Vec::new();
        let mut offset = 0;
        for block in &self.blocks {
            let (from, to) = (offset, offset + block.len());
            offset = to;
            if to <= start {
                continue;
            }
            if from >= end {
                break;
            }
            pieces.push(block.slice(start.max(from) - from..end.min(to) - from));
        }
        match pieces.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            _ => {
                let mut joined = BytesMut::with_capacity(end - start);
                for piece in &pieces {
                    joined.extend_from_slice(piece);
                }
                joined.freeze()
            }
        }
    }

    /// Every byte as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        self.slice(0..self.len)
    }

    /// SHA-256 of the bytes.
    pub fn sha256(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for block in &self.blocks {
            hasher.update(block);
        }
        hasher.finalize().into()
    }
}

impl FromIterator<Bytes> for Content {
    fn from_iter<I: IntoIterator<Item = Bytes>>(blocks: I) -> Self {
        let blocks: Vec<Bytes> = blocks.into_iter().filter(|b| !b.is_empty()).collect();
        let len = blocks.iter().map(Bytes::len).sum();
        Self { blocks, len }
    }
}

impl From<Vec<u8>> for Content {
    fn from(bytes: Vec<u8>) -> Self {
        std::iter::once(Bytes::from(bytes)).collect()
    }
}

impl From<Bytes> for Content {
    fn from(bytes: Bytes) -> Self {
        std::iter::once(bytes).collect()
    }
}

/// Equal when the bytes are, however they are split into blocks.
impl PartialEq for Content {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .blocks
                .iter()
                .flat_map(|b| b.iter())
                .eq(other.blocks.iter().flat_map(|b| b.iter()))
    }
}

impl Eq for Content {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cross_blocks_and_share_within_one() {
        let content: Content = ["abc", "", "defg", "h"]
            .map(|b| Bytes::from_static(b.as_bytes()))
            .into_iter()
            .collect();
        assert_eq!(content.len(), 8);
        assert_eq!(content.blocks().len(), 3);
        assert_eq!(content.to_bytes(), "abcdefgh");
        assert_eq!(content.slice(1..6), "bcdef");
        assert_eq!(content.slice(3..7), "defg");
        assert_eq!(content.slice(7..20), "h");
        assert_eq!(content.slice(8..9), "");
        assert_eq!(content, Content::from(b"abcdefgh".to_vec()));
        assert_ne!(content, Content::from(b"abcdefgX".to_vec()));
        assert_eq!(
            content.sha256(),
            <[u8; 32]>::from(Sha256::digest(b"abcdefgh"))
        );
    }
}
