//! Long deal lists written in the order the deals lie in memory.

use bytes::Bytes;
use rayon::prelude::*;

use super::{PARALLEL_ROWS, Rows};
use crate::aggregate::ReportDeal;

/// What a sweep task reuses from one chunk to the next.
#[derive(Default)]
struct Scratch {
    out: Vec<u8>,
    marks: Vec<u64>,
    starts: Vec<usize>,
}

/// A deal not in the list.
const UNLISTED: u32 = u32::MAX;

/// Items a run holds on average, at least, for a list to be written in
/// deal order: fewer, and the pieces to put together cost more than the
/// scattered reads they save.
const MIN_RUN: usize = 64;

/// Where each deal of a list goes. A list sorted by a date, ties in deal
/// order, is a series of runs in which the deals ascend. Reading deals
/// in the list's order jumps through memory at every row; sweeping them
/// in their own order reads them as they lie. Each sweep chunk sorts its
/// rows by run, and the runs are then put together chunk by chunk: within
/// a run, chunk order is deal order, so the bytes are the list's.
pub(super) struct ListOrder {
    /// Per deal: its position in the list, or [`UNLISTED`].
    position: Vec<u32>,
    /// Per position: its run.
    run: Vec<u32>,
    runs: u32,
}

impl ListOrder {
    /// The order of a list of deal indexes; `None` when a deal is listed
    /// twice or the runs are too short to be worth it.
    pub(super) fn of(
        deals: impl ExactSizeIterator<Item = usize>,
        deal_count: usize,
    ) -> Option<Self> {
        let len = deals.len();
        let mut position = vec![UNLISTED; deal_count];
        let mut run = Vec::with_capacity(len);
        let (mut current, mut previous) = (0_u32, None);
        for (at, deal) in deals.enumerate() {
            let slot = position.get_mut(deal)?;
            if *slot != UNLISTED {
                return None;
            }
            *slot = u32::try_from(at).ok()?;
            if previous.is_some_and(|previous| deal < previous) {
                current += 1;
            }
            previous = Some(deal);
            run.push(current);
        }
        let runs = current + 1;
        (runs as usize * MIN_RUN <= len).then_some(Self {
            position,
            run,
            runs,
        })
    }

    /// Every row, in the list's order, written in a sweep over the deals.
    pub(super) fn write<T: Sync>(
        &self,
        deals: &[ReportDeal],
        items: &[T],
        row: impl Fn(&mut Rows, &T, &ReportDeal) + Sync,
    ) -> Vec<Bytes> {
        let parts: Vec<(Bytes, Vec<(u32, usize)>)> = deals
            .par_chunks(PARALLEL_ROWS)
            .zip(self.position.par_chunks(PARALLEL_ROWS))
            // Rows are written into a scratch buffer kept by each task and
            // copied out sorted by run: the copy is all the file's bytes
            // cost in fresh memory.
            .map_init(Scratch::default, |scratch, (deals, positions)| {
                let Scratch { out, marks, starts } = scratch;
                let mut rows = Rows {
                    out: std::mem::take(out),
                    ..Rows::whole()
                };
                rows.out.clear();
                marks.clear();
                starts.clear();
                for (deal, &at) in deals.iter().zip(positions) {
                    if at == UNLISTED {
                        continue;
                    }
                    let at = at as usize;
                    // (run, row): sorted, by run and then in deal order.
                    marks.push(u64::from(self.run[at]) << 32 | starts.len() as u64);
                    starts.push(rows.out.len());
                    row(&mut rows, &items[at], deal);
                }
                starts.push(rows.out.len());
                marks.sort_unstable();
                let mut sorted = Vec::with_capacity(rows.out.len());
                let mut spans: Vec<(u32, usize)> = Vec::new();
                for &mark in marks.iter() {
                    let (run, i) = ((mark >> 32) as u32, (mark & u64::from(u32::MAX)) as usize);
                    sorted.extend_from_slice(&rows.out[starts[i]..starts[i + 1]]);
                    match spans.last_mut() {
                        Some((last, end)) if *last == run => *end = sorted.len(),
                        _ => spans.push((run, sorted.len())),
                    }
                }
                *out = rows.out;
                (Bytes::from(sorted), spans)
            })
            .collect();
        let mut blocks = Vec::new();
        let mut cursors = vec![(0_usize, 0_usize); parts.len()];
        for run in 0..self.runs {
            for ((bytes, spans), (span, start)) in parts.iter().zip(&mut cursors) {
                if let Some(&(_, end)) = spans.get(*span).filter(|(r, _)| *r == run) {
                    blocks.push(bytes.slice(*start..end));
                    (*span, *start) = (*span + 1, end);
                }
            }
        }
        blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(i: usize) -> ReportDeal {
        ReportDeal::named(&format!("{i:08}"), &format!("deal, {i}"))
    }

    #[test]
    fn a_list_swept_in_deal_order_is_the_bytes_of_its_own_order() {
        let deals: Vec<ReportDeal> = (0..3 * PARALLEL_ROWS + 7).map(deal).collect();
        // Most deals, by a key with few values, ties in deal order.
        let key = |i: usize| i * 7919 % 97;
        let mut list: Vec<usize> = (0..deals.len()).filter(|i| i % 5 != 0).collect();
        list.sort_by_key(|&i| (key(i), i));
        let row = |rows: &mut Rows, at: &usize, deal: &ReportDeal| {
            rows.raw(&deal.id).text(&deal.name).int(Some(key(*at)));
            rows.end_row();
        };
        let order = ListOrder::of(list.iter().copied(), deals.len()).expect("long runs");
        assert_eq!(order.runs, 97);
        let swept: Vec<u8> = order.write(&deals, &list, row).concat();
        let mut one_pass = Rows::default();
        for at in &list {
            row(&mut one_pass, at, &deals[*at]);
        }
        assert_eq!(swept, one_pass.finish().concat());
    }

    #[test]
    fn lists_with_repeats_or_short_runs_are_not_swept() {
        let repeated = [3, 4, 4, 5].repeat(100);
        assert!(ListOrder::of(repeated.into_iter(), 10).is_none());
        let descending = (0..1000).rev();
        assert!(ListOrder::of(descending, 1000).is_none());
        assert!(ListOrder::of(0..1000, 1000).is_some());
    }
}
