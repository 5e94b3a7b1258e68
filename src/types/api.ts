export interface CallTurn {
  index: number
  status: string
  transcript: string | null
  reply: string | null
  audio_url: string | null
  providers?: { asr?: string | null; reply?: string | null; tts?: string | null }
  latencies?: Record<string, number>
  fallbacks?: { stage?: string; reason?: string }[]
  created_at?: string | null
}

export interface Call {
  id: number
  call_sid: string
  business_id: number | null
  customer_id: number | null
  customer_name?: string | null
  from: string | null
  to: string | null
  direction: string
  status: string
  duration_seconds: number | null
  /** Where the browser plays the recording: GET /api/calls/<id>/recording, or null.
   *  The provider's own URL never leaves the server (it needs the account's credentials). */
  recording: string | null
  summary: string | null
  intent: string | null
  started_at: string | null
  ended_at: string | null
  turns?: CallTurn[]
}
export interface Business {
  id: number
  name: string
  domain: string | null
  active: boolean
  voice_number: string | null
  whatsapp_number: string | null
  whatsapp_provider?: string
  created_at: string | null
}

export interface BusinessInput {
  name: string
  domain?: string | null
  voice_number?: string | null
  whatsapp_number?: string | null
}

export interface Customer {
  id: number
  business_id: number
  name: string
  phone: string | null
  email: string | null
  notes: string | null
  source: string
  created_at: string | null
  updated_at: string | null
}

export interface CustomerInput {
  name: string
  phone?: string | null
  email?: string | null
  notes?: string | null
  /** The last 4 digits of the ID number (write-only): the phone agent's check before money. */
  id_last4?: string | null
}

export interface Page<T> {
  page: number
  limit: number
  total: number
  items: T[]
}

export interface WhatsAppMessage {
  id: number
  business_id: number | null
  customer_id: number | null
  customer_name?: string | null
  direction: 'inbound' | 'outbound'
  status: string
  provider: string
  from: string | null
  to: string | null
  text: string | null
  template: string | null
  error_code: string | null
  error: string | null
  flags: Record<string, unknown>
  created_at: string | null
  sent_at?: string | null
  delivered_at?: string | null
  read_at?: string | null
}

export interface Task {
  id: number
  title: string
  description: string | null
  status: string
  due_at: string | null
  completed_at?: string | null
  source?: string
}

export interface Invoice {
  id: number
  number: number | null
  status: string
  currency?: string
  description: string | null
  amount_agorot: number
  vat_rate_bp: number | null
  vat_agorot: number | null
  total_agorot: number | null
  allocation_number: string | null
  issued_at: string | null
  due_at?: string | null
}

export interface Contract {
  id: number
  title: string
  status: string
  amount_agorot: number | null
  signed_at: string | null
  starts_at?: string | null
  ends_at?: string | null
  notes?: string | null
}

export type TimelineItem =
  | { type: 'call'; at: string | null; data: Call }
  | { type: 'whatsapp'; at: string | null; data: WhatsAppMessage }
  | { type: 'task'; at: string | null; data: Task }
  | { type: 'invoice'; at: string | null; data: Invoice }
  | { type: 'contract'; at: string | null; data: Contract }

export interface AppUser {
  id: number
  email: string
  name: string | null
  role: 'admin' | 'staff' | 'viewer'
  business_id: number | null
  active: boolean
  last_login_at: string | null
  created_at: string | null
}

export interface AppUserInput {
  email?: string
  name?: string | null
  password?: string
  role?: 'admin' | 'staff' | 'viewer'
  business_id?: number | null
}

/** Lists arrive either as a bare array or as a page object: accept both. */
export function itemsOf<T>(data: T[] | { items: T[] } | null | undefined): T[] {
  if (!data) return []
  return Array.isArray(data) ? data : data.items ?? []
}
