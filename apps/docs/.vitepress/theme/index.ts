import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import { h } from 'vue';
import LiveDemo from './LiveDemo.vue';
import SiteFooter from './SiteFooter.vue';
import './demo.css';
import './layout.css';

export default {
  extends: DefaultTheme,
  // The default theme shows its footer only on pages without a sidebar (the home page); doc pages get a one-line footer.
  Layout: () => h(DefaultTheme.Layout, null, { 'doc-footer-before': () => h(SiteFooter) }),
  enhanceApp({ app }) {
    app.component('LiveDemo', LiveDemo);
  },
} satisfies Theme;
