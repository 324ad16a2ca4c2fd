//! The lowest layer: what errors and reports point at. Where a registration was written,
//! where a setting came from, what is wrong with a workflow graph or a workflow file.
//! Plain data, importing nothing else of the crate.

mod file_problem;
mod problem;
mod setting_source;
mod site;

pub(crate) use self::file_problem::FileProblem;
pub use self::problem::Problem;
pub use self::setting_source::SettingSource;
pub use self::site::RegistrationSite;
