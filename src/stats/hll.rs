//! A dense HyperLogLog for visitor counts past their exact limit.
//!
//! `hyperloglogplus` starts every sketch in its sparse representation, which re-encodes a sorted
//! list every few inserts; with a dozen rows per line past the exact limit, that re-encoding was
//! a third of all instructions on a generated log (see `docs/performance.md`). Sets only reach a
//! sketch once they outgrow [`super::counter::exact_limit`], where the sparse form has little
//! left to save, so this sketch is dense from the start: one byte per register, an insert is a
//! shift and a max, and a merge is a register-wise max.
//!
//! Estimates use Ertl's improved estimator, which is unbiased over the whole range without the
//! bias tables of HyperLogLog++; with 64-bit hashes no large-range correction is needed.

/// A HyperLogLog with `2^precision` one-byte registers.
#[derive(Clone)]
pub struct DenseHll {
    precision: u8,
    registers: Box<[u8]>,
}

impl std::fmt::Debug for DenseHll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DenseHll(p={}, ~{})", self.precision, self.count())
    }
}

/// Keys made as visitor keys are, by keyed SipHash (of `range`, under a fixed key), for tests.
#[cfg(test)]
pub(crate) fn test_keys(range: std::ops::Range<u64>) -> impl Iterator<Item = u64> {
    let hasher = siphasher::sip::SipHasher24::new_with_keys(0x5EED, 0xC0FFEE);
    range.map(move |i| hasher.hash(&i.to_le_bytes()))
}

impl DenseHll {
    /// An empty sketch with standard error 1.04 / sqrt(2^precision); precision 4 to 18.
    pub fn new(precision: u8) -> DenseHll {
        assert!((4..=18).contains(&precision), "precision {precision}");
        DenseHll {
            precision,
            registers: vec![0; 1 << precision].into_boxed_slice(),
        }
    }

    /// Adds `key`, which must be uniformly distributed: visitor keys are keyed SipHash
    /// outputs, so their bits are used as they are (a further mix cost 15 instructions an
    /// insert, five inserts a line).
    #[inline]
    pub fn insert(&mut self, key: u64) {
        let p = u32::from(self.precision);
        let index = (key >> (64 - p)) as usize;
        // The remaining bits, with a stop bit so that the rank is at most 64 - p + 1.
        let rest = (key << p) | (1 << (p - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        let register = &mut self.registers[index];
        if rank > *register {
            *register = rank;
        }
    }

    /// Starts loading the register an insert of `key` reads.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        let index = (key >> (64 - u32::from(self.precision))) as usize;
        crate::prefetch::read(&self.registers[index]);
    }

    /// Register-wise maximum: the sketch of the union. Both must have the same precision.
    pub fn merge(&mut self, other: &DenseHll) {
        assert_eq!(
            self.precision, other.precision,
            "sketches of one precision merge"
        );
        for (mine, theirs) in self.registers.iter_mut().zip(other.registers.iter()) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// The estimate of Ertl's improved estimator ("New cardinality estimation algorithms for
    /// HyperLogLog sketches", 2017, algorithm 6): no bias tables, and no switch between linear
    /// counting and the raw estimate, whose bias near 2.5 m reached 3% in tests.
    pub fn count(&self) -> u64 {
        let q = 64 - usize::from(self.precision);
        // Registers hold ranks 0 to q + 1. perf: neighbouring registers often hold the same
        // rank, and one histogram made each increment wait for the last one's store; four,
        // filled in turn and summed, count a sketch in 2.3 µs instead of 6.3
        // (bench `row_sketch_estimate`, precision 12).
        let mut lanes = [[0u32; 66]; 4];
        for four in self.registers.chunks_exact(4) {
            for (lane, &r) in lanes.iter_mut().zip(four) {
                lane[usize::from(r)] += 1;
            }
        }
        let histogram: [u32; 66] = std::array::from_fn(|k| lanes.iter().map(|lane| lane[k]).sum());
        let m = self.registers.len() as f64;
        let mut z = m * tau(1.0 - f64::from(histogram[q + 1]) / m);
        for k in (1..=q).rev() {
            z = 0.5 * (z + f64::from(histogram[k]));
        }
        z += m * sigma(f64::from(histogram[0]) / m);
        let alpha_infinity = 1.0 / (2.0 * std::f64::consts::LN_2);
        (alpha_infinity * m * m / z).round() as u64
    }
}

/// Ertl's sigma: x + x^2 + 2 x^4 + 4 x^8 + ..., infinite at 1 (an empty sketch counts 0).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if z == previous {
            return z;
        }
    }
}

/// Ertl's tau, the correction for registers at the maximum rank.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == previous {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_keys as keys;

    #[test]
    fn estimates_stay_within_three_standard_errors_across_the_range() {
        // Small, middle and large counts, around and past where estimators used to switch.
        for (precision, sigma) in [(14, 0.0081), (12, 0.0163)] {
            let m = 1u64 << precision;
            for n in [m / 8, m, 2 * m, 5 * m / 2, 3 * m, 5 * m, 20 * m, 100 * m] {
                let mut hll = DenseHll::new(precision);
                keys(0..n).for_each(|k| hll.insert(k));
                let got = hll.count() as f64;
                let error = (got - n as f64).abs() / n as f64;
                assert!(
                    error < 3.0 * sigma,
                    "p{precision} {n}: {got} ({:.2}%)",
                    error * 100.0
                );
            }
        }
    }

    #[test]
    fn no_bias_around_where_linear_counting_used_to_hand_over() {
        // The mean of 20 independent sketches of n keys, for n from 2 m to 4 m at precision 12:
        // the raw estimator overshot by 2 to 3% here; the mean's standard error is 0.37%.
        let m = 1u64 << 12;
        for n in [2 * m, 5 * m / 2, 3 * m, 4 * m] {
            let mut sum = 0.0;
            for round in 0..20u64 {
                let mut hll = DenseHll::new(12);
                keys(round * 10_000_000..round * 10_000_000 + n).for_each(|k| hll.insert(k));
                sum += hll.count() as f64;
            }
            let bias = (sum / 20.0 - n as f64) / n as f64;
            assert!(bias.abs() < 0.012, "{n}: {:.2}%", bias * 100.0);
        }
    }

    #[test]
    fn merge_is_the_union_and_repeats_do_not_count() {
        let mut a = DenseHll::new(14);
        let mut b = DenseHll::new(14);
        keys(0..30_000).for_each(|k| a.insert(k));
        keys(20_000..50_000).for_each(|k| b.insert(k));
        keys(0..1_000).for_each(|k| b.insert(k));
        a.merge(&b);
        let mut whole = DenseHll::new(14);
        keys(0..50_000).for_each(|k| whole.insert(k));
        assert_eq!(a.registers, whole.registers);
        assert_eq!(DenseHll::new(12).count(), 0);
    }
}
