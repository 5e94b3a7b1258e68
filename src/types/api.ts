// The API's shapes under the names the app uses. They come from api.generated.ts, which
// `npm run gen:api` builds from the server's OpenAPI document (server/schemas/*): edit the
// response model there, never a copy here.
import type { components } from './api.generated'

type Schemas = components['schemas']

export type Business = Schemas['Business']
export type BusinessDetails = Schemas['BusinessDetails']
export type AppUser = Schemas['User']
export type Customer = Schemas['Customer']
export type Call = Schemas['Call']
export type MessageMedia = Schemas['MessageMedia']
export type CallTurn = Schemas['CallTurn']
export type WhatsAppMessage = Schemas['WhatsAppMessage']
export type Task = Schemas['Task']
export type Invoice = Schemas['Invoice']
export type Contract = Schemas['Contract']
export type TimelineItem = Schemas['CallItem'] | Schemas['WhatsAppItem'] | Schemas['TaskItem']
  | Schemas['InvoiceItem'] | Schemas['ContractItem'] | Schemas['AppointmentItem']
export type Dashboard = Schemas['Dashboard']
export type Appointment = Schemas['Appointment']
/** An appointment as the customer's timeline carries it: with its service, staff and price. */
export type AppointmentOnTimeline = Schemas['AppointmentOnTimeline']
export type Service = Schemas['Service']
export type StaffCalendar = Schemas['StaffCalendar']
export type Slot = Schemas['Slot']
/** Whether free text may be sent: a real transport refuses it outside the 24-hour window. */
export type WhatsAppWindow = Schemas['WhatsAppWindow']
export type WhatsAppTemplate = Schemas['WhatsAppTemplate']
/** Who answers a customer's WhatsApp now: the agent or a person (staff). */
export type ConversationState = Schemas['ConversationState']
/** One turn of the agent tried from the browser. */
export type AgentTurn = Schemas['TryResult']
export type KnowledgeEntry = Schemas['KnowledgeEntry']
export type KnowledgeDocument = Schemas['KnowledgeDocument']
export type KnowledgeDocumentDetail = Schemas['KnowledgeDocumentDetail']
/** A passage found for a question: `id` is the entry's or the document's, by `kind`. */
export type KnowledgeHit = Schemas['SearchHit']

// What the forms send: the request bodies are validated by the server's body schemas, whose
// generated types are looser (every field optional) than what these forms always send.
export interface BusinessInput {
  name: string
  domain?: string | null
  voice_number?: string | null
  whatsapp_number?: string | null
}

export interface CustomerInput {
  name: string
  phone?: string | null
  email?: string | null
  notes?: string | null
  /** The last 4 digits of the ID number (write-only): the phone agent's check before money. */
  id_last4?: string | null
}

export interface AppUserInput {
  email?: string
  name?: string | null
  password?: string
  role?: AppUser['role']
  business_id?: number | null
}

export interface Page<T> {
  page: number
  limit: number
  total: number
  items: T[]
}

/** Lists arrive either as a bare array or as a page object: accept both. */
export function itemsOf<T>(data: T[] | { items: T[] } | null | undefined): T[] {
  if (!data) return []
  return Array.isArray(data) ? data : data.items ?? []
}
export type AutomationsOut = Schemas['AutomationsOut']
export type AutomationSettingsUpdate = Schemas['AutomationSettingsUpdate']
export type Campaign = Schemas['Campaign']
export type CampaignDetail = Schemas['CampaignDetail']
export type CampaignFilter = Schemas['CampaignFilter']
export type CampaignPreview = Schemas['CampaignPreview']
