//! The configuration of the AWS service integrations ([`AwsConfig`]).
//!
//! Every AWS call of a Task goes through the generic client driven by AWS's
//! service models ([`crate::tasks::aws_sdk`], default build): the
//! `aws-sdk:SERVICE:ACTION` forms, and the optimized integrations
//! (`arn:aws:states:::sqs:sendMessage`, `sns:publish`, `dynamodb:getItem`,
//! `putItem`, `updateItem`, `deleteItem`, `events:putEvents`, and the Glue,
//! ECS, Batch, Athena, SageMaker and Bedrock ones), which are rows of the
//! optimized table on that client (module `crate::tasks::optimized`).
//!
//! The cargo feature `aws` only adds the AWS SDK's default credential chain
//! (profile, web identity, container and instance roles, through
//! `aws-config`) for calls to AWS itself, and the SQS and Kinesis consumers
//! (`expressway consume`).

mod config;

pub use config::AwsConfig;
