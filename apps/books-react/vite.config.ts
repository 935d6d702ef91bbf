import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // `npm run dev` forwards /books as the gateway does, to a books process on its default port.
  server: { proxy: { '/books': 'http://127.0.0.1:5000' } },
});
