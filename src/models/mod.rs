//! Binary classifiers that output P(y = 1), their common [`Model`] interface and their saved
//! JSON form.

mod class_weight;
mod fit_error;
mod load;
mod load_error;
mod log_loss;
pub mod logistic;
mod logistic_params;
mod model;
mod portable_exp;
mod predict_error;

pub use class_weight::ClassWeight;
pub use fit_error::FitError;
pub use load::{FORMAT_VERSION, load_model};
pub use load_error::LoadError;
pub use logistic::LogisticRegression;
pub use logistic_params::LogisticParams;
pub use model::Model;
pub use predict_error::PredictError;
