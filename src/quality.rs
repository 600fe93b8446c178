//! Data-quality findings: what is wrong with a record, found at any stage.

/// The kinds of problem a deal can have. The code is what `data_quality.csv`
/// and the PDF print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// `Amount` is empty: the deal counts, its amount does not.
    NullAmount,
    /// `Amount` is not a number.
    InvalidAmount,
    /// No exchange rate for the deal's currency.
    MissingRate,
    /// The stage is not in the report definition; counted as open.
    UnknownStage,
    /// The deal has no stage; counted as open.
    MissingStage,
    /// `Probability` is not a whole number from 0 to 100.
    InvalidProbability,
    /// A date or timestamp could not be read.
    InvalidDate,
    /// No owner.
    MissingOwner,
    /// No closing date.
    MissingClosingDate,
}

impl ProblemKind {
    /// The stable code written to CSVs.
    pub fn code(self) -> &'static str {
        match self {
            Self::NullAmount => "null_amount",
            Self::InvalidAmount => "invalid_amount",
            Self::MissingRate => "missing_rate",
            Self::UnknownStage => "unknown_stage",
            Self::MissingStage => "missing_stage",
            Self::InvalidProbability => "invalid_probability",
            Self::InvalidDate => "invalid_date",
            Self::MissingOwner => "missing_owner",
            Self::MissingClosingDate => "missing_closing_date",
        }
    }

    /// A warning changes what the totals contain or how a deal is counted,
    /// and makes the run exit with code 3. The others are listed only: an
    /// empty amount or owner is a normal state of a young deal.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Self::InvalidAmount
                | Self::MissingRate
                | Self::UnknownStage
                | Self::MissingStage
                | Self::InvalidProbability
                | Self::InvalidDate
        )
    }
}

/// One finding about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The offending value or an explanation, for a person to act on.
    pub detail: String,
}
