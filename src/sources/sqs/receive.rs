//! Receiving: long-polling receivers feed received messages to the
//! pipeline's [`Source`]. A receiver asks for at most as many messages as
//! there are free *credits* (one per message the consumer may hold
//! received and unsettled); a settled message gives its credit back. So
//! when admission slows executions down, credits run out and receiving
//! stops: nothing is received that cannot run soon, and nothing is dropped.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use base64::Engine as _;
use tokio::sync::{mpsc, Semaphore};

use super::event::{self, Attribute, Message, Queue};
use crate::metrics::ConsumerMetrics;
use crate::sources::aws::Stop;
use crate::sources::{Record, Source, Unit, Work};

/// Most messages one `ReceiveMessage` returns (SQS's limit).
pub const MAX_MESSAGES: i32 = 10;

/// State shared by the receivers, the source and the sink.
pub struct Shared {
    /// Free credits: messages that may still be received.
    pub credits: Semaphore,
    /// Received messages not settled yet, by record id.
    pub outstanding: Mutex<HashMap<u64, Message>>,
    /// Consumer metrics.
    pub metrics: ConsumerMetrics,
    /// Messages received.
    pub received: AtomicU64,
    /// Messages received with `ApproximateReceiveCount` > 1.
    pub duplicates: AtomicU64,
    /// `ReceiveMessage` calls answered.
    pub receives: AtomicU64,
    /// Messages received and not settled yet.
    pub held: AtomicU64,
    /// Most messages held received and unsettled at once.
    pub max_outstanding: AtomicU64,
    /// Messages deleted.
    pub deleted: AtomicU64,
}

impl Shared {
    /// `credits` credits, nothing received.
    pub fn new(credits: usize, metrics: ConsumerMetrics) -> Self {
        Shared {
            credits: Semaphore::new(credits),
            outstanding: Mutex::new(HashMap::new()),
            metrics,
            received: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            receives: AtomicU64::new(0),
            held: AtomicU64::new(0),
            max_outstanding: AtomicU64::new(0),
            deleted: AtomicU64::new(0),
        }
    }

    /// Takes the unsettled message of record `id` and gives its credit back.
    pub fn settle(&self, id: u64) -> Option<Message> {
        let message = self.outstanding.lock().ok().and_then(|mut m| m.remove(&id));
        if message.is_some() {
            self.held.fetch_sub(1, Ordering::Relaxed);
            self.credits.add_permits(1);
            self.metrics.in_flight.decrement(1.0);
        }
        message
    }

    /// Takes every unsettled message (to release them at the end).
    pub fn drain(&self) -> Vec<Message> {
        self.outstanding
            .lock()
            .map(|mut m| m.drain().map(|(_, v)| v).collect())
            .unwrap_or_default()
    }
}

/// How receivers call `ReceiveMessage`.
#[derive(Debug, Clone)]
pub struct ReceiveOptions {
    /// The queue URL.
    pub queue_url: String,
    /// `WaitTimeSeconds` (0–20; 20 is the longest long poll).
    pub wait_time_seconds: i32,
    /// `VisibilityTimeout` of received messages, in seconds (`None`: the queue's).
    pub visibility_timeout: Option<i32>,
}

fn convert(m: aws_sdk_sqs::types::Message) -> Message {
    let mut attributes: Vec<(String, String)> = m
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_owned(), v))
        .collect();
    attributes.sort();
    let mut message_attributes: Vec<(String, Attribute)> = m
        .message_attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let binary_value = v
                .binary_value
                .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()));
            (
                k,
                Attribute {
                    data_type: v.data_type,
                    string_value: v.string_value,
                    binary_value,
                },
            )
        })
        .collect();
    message_attributes.sort_by(|a, b| a.0.cmp(&b.0));
    Message {
        message_id: m.message_id.unwrap_or_default(),
        receipt_handle: m.receipt_handle.unwrap_or_default(),
        body: m.body.unwrap_or_default(),
        md5_of_body: m.md5_of_body.unwrap_or_default(),
        attributes,
        message_attributes,
    }
}

/// One receiver: takes credits, long-polls, forwards what it received;
/// until `stop` fires or the source is gone.
pub async fn receiver(
    client: aws_sdk_sqs::Client,
    options: ReceiveOptions,
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Vec<Message>>,
    stop: Stop,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let credit = tokio::select! {
            biased;
            () = stop.wait() => return,
            credit = shared.credits.acquire() => credit,
        };
        let Ok(credit) = credit else { return };
        credit.forget();
        let mut credits: i32 = 1;
        while credits < MAX_MESSAGES {
            match shared.credits.try_acquire() {
                Ok(c) => {
                    c.forget();
                    credits += 1;
                }
                Err(_) => break,
            }
        }
        let request = client
            .receive_message()
            .queue_url(&options.queue_url)
            .max_number_of_messages(credits)
            .wait_time_seconds(options.wait_time_seconds)
            .set_visibility_timeout(options.visibility_timeout)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send();
        let answer = tokio::select! {
            biased;
            () = stop.wait() => {
                shared.credits.add_permits(credits as usize);
                return;
            }
            answer = request => answer,
        };
        let messages = match answer {
            Ok(out) => {
                backoff = Duration::from_millis(100);
                out.messages.unwrap_or_default()
            }
            Err(e) => {
                shared.credits.add_permits(credits as usize);
                tracing::warn!("ReceiveMessage failed: {}", DisplayErrorContext(&e));
                if !stop.sleep(backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        shared.receives.fetch_add(1, Ordering::Relaxed);
        let got = messages.len().min(credits as usize);
        shared.credits.add_permits(credits as usize - got);
        if got == 0 {
            continue;
        }
        let messages: Vec<Message> = messages.into_iter().take(got).map(convert).collect();
        let count = messages.len() as u64;
        let again = messages.iter().filter(|m| m.receive_count() > 1).count() as u64;
        shared.received.fetch_add(count, Ordering::Relaxed);
        let held = shared.held.fetch_add(count, Ordering::Relaxed) + count;
        shared.max_outstanding.fetch_max(held, Ordering::Relaxed);
        shared.duplicates.fetch_add(again, Ordering::Relaxed);
        shared.metrics.received.increment(count);
        shared.metrics.duplicates.increment(again);
        shared.metrics.in_flight.increment(count as f64);
        if tx.send(messages).is_err() {
            return;
        }
    }
}

/// The pipeline's source: received messages, one unit per message, or one
/// per received batch (`batch`) given as a Lambda SQS event.
pub struct MessageSource {
    rx: mpsc::UnboundedReceiver<Vec<Message>>,
    waiting: VecDeque<Message>,
    next_id: u64,
    batch: bool,
    queue: Queue,
    shared: Arc<Shared>,
}

impl MessageSource {
    /// Reads what the receivers send on `rx`.
    pub fn new(
        rx: mpsc::UnboundedReceiver<Vec<Message>>,
        batch: bool,
        queue: Queue,
        shared: Arc<Shared>,
    ) -> Self {
        MessageSource {
            rx,
            waiting: VecDeque::new(),
            next_id: 0,
            batch,
            queue,
            shared,
        }
    }

    /// Every message received but not handed to the pipeline yet (the
    /// receivers must be gone: this waits for the channel to close).
    pub async fn rest(mut self) -> Vec<Message> {
        let mut rest: Vec<Message> = self.waiting.drain(..).collect();
        while let Some(more) = self.rx.recv().await {
            rest.extend(more);
        }
        rest
    }

    fn hand_out(&mut self, messages: Vec<Message>) -> Unit {
        let first = self.next_id + 1;
        let mut records = Vec::with_capacity(messages.len());
        if let Ok(mut out) = self.shared.outstanding.lock() {
            for m in messages {
                self.next_id += 1;
                records.push(Record {
                    id: self.next_id,
                    body: m.message_id.clone(),
                });
                out.insert(self.next_id, m);
            }
        }
        Unit { first, records }
    }
}

impl Source for MessageSource {
    async fn next(&mut self) -> io::Result<Option<Work>> {
        if self.waiting.is_empty() {
            // Cancel-safe: nothing changes before a batch arrived.
            match self.rx.recv().await {
                Some(batch) => self.waiting.extend(batch),
                None => return Ok(None),
            }
        }
        if self.batch {
            let messages: Vec<Message> = self.waiting.drain(..).collect();
            let input = event::batch_event(&messages, &self.queue);
            let unit = self.hand_out(messages);
            return Ok(Some(Work { unit, input }));
        }
        let Some(message) = self.waiting.pop_front() else {
            return Ok(None);
        };
        let input = event::message_input(&message.body);
        let unit = self.hand_out(vec![message]);
        Ok(Some(Work { unit, input }))
    }
}
