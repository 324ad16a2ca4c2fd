//! How a command fails: one clear paragraph on stderr and the exit code of the CLI contract.

use std::process::ExitCode;

use nadoo_flow::Error;

/// A command's failure.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Usage, configuration or registry error: exit code 2.
    Usage(String),
    /// The workflow failed, was interrupted or is invalid: exit code 1. The message, if any,
    /// was not printed yet.
    Workflow(Option<String>),
}

impl Failure {
    /// Prints the message, if any, and gives the exit code.
    pub(crate) fn report(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Failure::Workflow(message) => {
                if let Some(message) = message {
                    eprintln!("error: {message}");
                }
                ExitCode::from(1)
            }
        }
    }
}

impl From<Error> for Failure {
    /// A problem with the workflow file's content is the workflow's (1); anything else, such
    /// as a file that cannot be read or a backend that is not linked, is usage (2).
    fn from(error: Error) -> Self {
        match error {
            Error::WorkflowFile { .. } | Error::InvalidWorkflow(_) => {
                Failure::Workflow(Some(error.to_string()))
            }
            other => Failure::Usage(other.to_string()),
        }
    }
}
