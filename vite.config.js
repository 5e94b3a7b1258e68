import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The seed's config (section 8), kept exactly: relative base so Flask can serve dist/
// from any prefix, dev server on :3000 proxying the API, webhooks and Socket.IO to :5000.
export default defineConfig({
  base: './',
  plugins: [react()],
  server: {
    host: '0.0.0.0',
    port: 3000,
    proxy: {
      '/api': 'http://localhost:5000',
      '/webhook': 'http://localhost:5000',
      '/socket.io': { target: 'http://localhost:5000', ws: true }
    }
  }
})
