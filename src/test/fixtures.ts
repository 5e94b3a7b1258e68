// Whole API objects for tests: every field the server sends (the generated types require
// them), with `over` for what a test is about.
import type {
  Business, Call, CallTurn, Contract, Invoice, Task, WhatsAppMessage,
} from '../types/api'

const AT = '2026-11-01T08:00:00+00:00'

export const aBusiness = (over: Partial<Business> = {}): Business => ({
  id: 1, name: 'מספרת רותי', domain: null, active: true, voice_number: null, whatsapp_number: null,
  whatsapp_provider: 'dev', created_at: AT, ...over,
})

export const aTurn = (over: Partial<CallTurn> = {}): CallTurn => ({
  index: 0, status: 'ready', transcript: null, reply: null, audio_url: null,
  providers: { asr: 'local', reply: 'offline', tts: 'espeak' }, latencies: {}, fallbacks: [], tool_calls: [],
  intents: [], created_at: AT, ...over,
})

export const aCall = (over: Partial<Call> = {}): Call => ({
  id: 1, call_sid: 'CA1', business_id: 1, customer_id: null, from: null, to: null, direction: 'inbound',
  status: 'completed', duration_seconds: null, recording: null, summary: null, intent: null, started_at: AT,
  ended_at: null, ...over,
})

export const aMessage = (over: Partial<WhatsAppMessage> = {}): WhatsAppMessage => ({
  id: 1, business_id: 1, customer_id: null, direction: 'inbound', status: 'delivered', provider: 'dev',
  provider_message_id: null, from: null, to: null, text: null, template: null, error_code: null, error: null,
  attempts: 0, flags: {}, created_at: AT, sent_at: null, delivered_at: null, read_at: null, ...over,
})

export const aTask = (over: Partial<Task> = {}): Task => ({
  id: 1, business_id: 1, customer_id: 1, title: 'משימה', description: null, status: 'open', due_at: null,
  completed_at: null, source: 'manual', call_id: null, created_at: AT, updated_at: AT, ...over,
})

export const anInvoice = (over: Partial<Invoice> = {}): Invoice => ({
  id: 1, business_id: 1, customer_id: 1, number: null, status: 'draft', currency: 'ILS', description: null,
  amount_agorot: 0, vat_rate_bp: null, vat_agorot: null, total_agorot: null, invoice_date: null, issued_at: null,
  due_at: null, paid_at: null, cancelled_at: null, is_b2b: false, customer_tax_id: null, allocation_number: null,
  bill_to_name: null, credit_for_invoice_id: null, created_at: AT, updated_at: AT, kind: 'invoice',
  vat_percent: null, display: { amount: null, vat: null, total: null }, ...over,
})

export const aContract = (over: Partial<Contract> = {}): Contract => ({
  id: 1, business_id: 1, customer_id: 1, title: 'חוזה', status: 'draft', amount_agorot: null, signed_at: null,
  starts_at: null, ends_at: null, notes: null, created_at: AT, updated_at: AT, ...over,
})
