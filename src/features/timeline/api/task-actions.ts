import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '../../../lib/api-client'
import type { Task } from '../../../types/api'

export interface TaskInput {
  title: string
  description?: string | null
  due_at?: string | null
  status?: 'open' | 'done' | 'cancelled'
}

type Scope = { business_id?: number }

export const createTask = (customerId: number, input: TaskInput, scope: Scope) =>
  api.post<Task>(`/api/customers/${customerId}/tasks`, input, { query: scope })
export const updateTask = (customerId: number, taskId: number, input: Partial<TaskInput>, scope: Scope) =>
  api.put<Task>(`/api/customers/${customerId}/tasks/${taskId}`, input, { query: scope })

function useTaskMutation<V>(fn: (variables: V) => Promise<unknown>) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['timeline'] })
      void queryClient.invalidateQueries({ queryKey: ['dashboard'] })
    },
  })
}

export const useCreateTask = (customerId: number, scope: Scope) =>
  useTaskMutation((input: TaskInput) => createTask(customerId, input, scope))
export const useUpdateTask = (customerId: number, scope: Scope) =>
  useTaskMutation(({ id, input }: { id: number; input: Partial<TaskInput> }) => updateTask(customerId, id, input, scope))
